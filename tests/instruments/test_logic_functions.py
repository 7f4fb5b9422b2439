"""REDCap's special functions and reference syntax, one test per function.

Each docstring quotes the wording of REDCap's "Special Functions" help page (Help & FAQ →
Calculated fields and branching logic) that the assertions check.
"""

from __future__ import annotations

import datetime as dt

import pytest

from neuroregen.instruments import logic


def calc(expression: str, **values: object) -> str:
    return logic.calculate(expression, values)


def value(expression: str, values: dict | None = None, context: dict | None = None) -> object:
    return logic.evaluate(logic.parse(expression), values or {}, context)


def test_if():
    """if (CONDITION, VALUE if condition is TRUE, VALUE if condition is FALSE)."""
    assert calc("if([a] > 5, 1, 0)", a="7") == "1"
    assert calc("if([a] > 5, 1, 0)", a="2") == "0"
    assert value("IF([a] = '', 'blank', 'given')", {"a": ""}) == "blank"  # any case


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("datediff('2024-01-01', '2024-03-01', 'd')", 60),
        ("datediff('2024-03-01', '2024-01-01', 'd')", 60),  # unsigned by default
        ("datediff('2024-03-01', '2024-01-01', 'd', true)", -60),
        ("datediff('2024-01-01 08:00', '2024-01-01 10:30', 'h')", 2.5),
        ("datediff('2024-01-01 08:00', '2024-01-01 08:45', 'm')", 45),
        ("datediff('2024-01-01 08:00:00', '2024-01-01 08:00:30', 's')", 30),
        ("datediff('2000-01-01', '2001-01-01', 'y')", 366 / 365.2425),
        ("datediff('2024-01-01', '2024-01-31', 'M')", 30 / 30.44),
        ("datediff('31-01-2024', '01-03-2024', 'd', 'dmy')", 30),
        ("datediff('01-31-2024', '03-01-2024', 'd', 'mdy', true)", 30),
    ],
)
def test_datediff(expression, expected):
    """datediff ([date1], [date2], "units", returnSignedValue): the difference between two
    dates or datetimes in "y" years, "M" months, "d" days, "h" hours, "m" minutes or "s"
    seconds; a year is 365.2425 days and a month 30.44 days. returnSignedValue (false by
    default) gives the absolute value unless true. The date format ("ymd", "mdy", "dmy") is
    needed only when the dates are not Y-M-D."""
    assert value(expression) == pytest.approx(expected)


def test_datediff_with_today_and_blanks():
    """'today' may be used in place of a date; a blank date gives a blank."""
    year_ago = (dt.date.today() - dt.timedelta(days=10)).isoformat()  # noqa: DTZ011
    assert calc("datediff([d], 'today', 'd')", d=year_ago) == "10"
    assert calc("datediff([d], 'today', 'd')", d="") == ""
    with pytest.raises(logic.LogicError):
        calc("datediff([d], 'today', 'w')", d=year_ago)  # no such unit


def test_round_roundup_rounddown():
    """round (number, decimal places), roundup (…), rounddown (…): rounds the number to the
    given number of decimal places (none if omitted), always up or always down."""
    assert calc("round(2.345, 2)") == "2.35"
    assert calc("round(2.5)") == "3"
    assert calc("roundup(1.1)") == "2"
    assert calc("roundup(1.11, 1)") == "1.2"
    assert calc("roundup(1.1, 1)") == "1.1"  # 1.1 * 10 is 11.000000000000002 in floating point
    assert calc("rounddown(1.99)") == "1"
    assert calc("rounddown(1.99, 1)") == "1.9"


def test_sqrt_abs_exponential_log():
    """sqrt (number); abs (number); exponential (number): e raised to the number;
    log (number, base): the logarithm, natural when the base is omitted."""
    assert calc("sqrt(16)") == "4"
    assert calc("sqrt(-1)") == ""
    assert calc("abs(-3.5)") == "3.5"
    assert calc("exponential(1)") == "2.718282"
    assert calc("log(100, 10)") == "2"
    assert calc("log(exponential(2))") == "2"
    assert calc("(2)^(3)") == "8"  # (number)^(exponent)


@pytest.mark.parametrize(
    ("function", "expected"),
    [("min", "1"), ("max", "5"), ("mean", "3"), ("median", "3"), ("sum", "9")],
)
def test_aggregates_ignore_blanks(function, expected):
    """min, max, mean, median, sum (number, number, …): blank values are ignored."""
    assert calc(f"{function}([a], [b], [c], [d])", a="1", b="", c="3", d="5") == expected
    assert calc(f"{function}([a], [b])", a="", b="") == ""


def test_median_of_an_even_count_and_stdev():
    """median: the middle value (the mean of the two middle ones); stdev (number, …): the
    standard deviation, blanks ignored."""
    assert calc("median(1, 2, 3, 10)") == "2.5"
    assert calc("stdev([a], [b], [c], [d])", a="2", b="4", c="", d="6") == "2"
    assert calc("stdev([a])", a="2") == ""


def test_mod():
    """mod (dividend, divisor): the remainder of the division."""
    assert calc("mod(10, 3)") == "1"
    assert calc("mod([a], 2)", a="7") == "1"
    assert calc("mod(10, 0)") == ""


@pytest.mark.parametrize(
    ("text", "number", "integer"),
    [("12", True, True), ("-3", True, True), ("1.5", True, False), ("abc", False, False)],
)
def test_isnumber_isinteger(text, number, integer):
    """isnumber (value): true if the value is a number (integer or decimal); isinteger
    (value): true if it is an integer (a whole number without a decimal point)."""
    assert value("isnumber([a])", {"a": text}) is number
    assert value("isinteger([a])", {"a": text}) is integer


def test_isblankormissingcode():
    """isblankormissingcode (value): true if the value is blank or one of the project's
    missing data codes."""
    assert value("isblankormissingcode([a])", {"a": ""}) is True
    assert value("isblankormissingcode([a])", {"a": "3"}) is False
    assert value("isblankormissingcode([a])", {"a": "UNK"}, {"missing-codes": ["UNK"]}) is True


def test_contains_not_contain_starts_with_ends_with():
    """contains (haystack, needle), not_contain, starts_with, ends_with: whether the needle is
    in, not in, at the start of or at the end of the haystack (case insensitive)."""
    values = {"a": "Nausea and Vomiting"}
    assert value("contains([a], 'vomit')", values) is True
    assert value("not_contain([a], 'rash')", values) is True
    assert value("starts_with([a], 'NAUSEA')", values) is True
    assert value("ends_with([a], 'ting')", values) is True
    assert value("ends_with([a], 'nausea')", values) is False


def test_left_right_mid_length_find():
    """left (text, number of characters), right (…), mid (text, start position, number of
    characters), length (text); find (needle, haystack): the position of the needle (case
    insensitive, first character 1), 0 if absent."""
    values = {"a": "NR-0042-KZ"}
    assert value("left([a], 2)", values) == "NR"
    assert value("right([a], 2)", values) == "KZ"
    assert value("mid([a], 4, 4)", values) == "0042"
    assert calc("length([a])", a="NR-0042-KZ") == "10"
    assert calc("find('kz', [a])", a="NR-0042-KZ") == "9"
    assert calc("find('x', [a])", a="NR-0042-KZ") == "0"


def test_concat_concat_ws_upper_lower_trim_replace_text():
    """concat (text, text, …); concat_ws (separator, text, …): joined with the separator;
    upper, lower, trim (text); replace_text (haystack, search, replacement)."""
    values = {"first": "Ana", "last": "Kim"}
    assert value("concat([first], ' ', [last])", values) == "Ana Kim"
    assert value("concat_ws(', ', [last], [first])", values) == "Kim, Ana"
    assert value("upper([first])", values) == "ANA"
    assert value("lower([first])", values) == "ana"
    assert value("trim('  x  ')") == "x"
    assert value("replace_text('a-b-c', '-', '/')") == "a/b/c"


def test_year_month_day():
    """year (date), month (date), day (date): the part of the date as a number."""
    assert calc("year([d])", d="2024-03-15") == "2024"
    assert calc("month([d])", d="2024-03-15") == "3"
    assert calc("day([d])", d="2024-03-15 10:00") == "15"
    assert calc("year([d])", d="") == ""


def test_every_listed_function_is_known():
    for name in logic.FUNCTIONS:
        assert logic.parse(f"{name}(1, 2, 3)")[1] == name


# --- references ---------------------------------------------------------------------------


def test_checkbox_option_and_modifiers():
    """[field(code)] is "1" when the option is checked, "0" when not; [field:value] is the
    stored value, [field:label] its choice label, [field:checked] the checked options."""
    values = {"cb": ["1", "3"], "sex": "2"}
    choices = {"cb": [("1", "Rash"), ("2", "Fever"), ("3", "Cough")], "sex": [("2", "Female")]}
    assert value("[cb(3)]", values) == "1"
    assert value("[cb(2)]", values) == "0"
    assert value("[sex:value] = 2", values) is True
    assert value("[sex:label]", values, {"choices": choices}) == "Female"
    assert value("[cb:checked]", values, {"choices": choices}) == "Rash, Cough"
    assert value("[cb:unchecked:value]", values, {"choices": choices}) == "2"
    with pytest.raises(logic.NotEvaluated):
        value("[sex:label]", values)  # the choices were not given


def test_event_prefix_is_evaluated_for_the_current_event_only():
    """In a longitudinal project [event_name][field] reads the field on that event."""
    node = logic.parse("[baseline_arm_1][age] >= 3")
    assert logic.fields_used(node) == {"age"}
    assert logic.evaluate(node, {"age": "4"}, {"event-name": "baseline_arm_1"}) is True
    with pytest.raises(logic.NotEvaluated, match="not evaluated here"):
        logic.evaluate(node, {"age": "4"}, {"event-name": "month_6_arm_1"})
    assert value("[event-name][age] = 4", {"age": "4"}) is True  # the current event


def test_smart_variables_from_context_or_not_evaluated():
    """Smart variables ([record-name], [user-name], [event-name], [arm-number] …) are
    context-aware: their value depends on the record, user and event being viewed."""
    node = logic.parse("[user-name] = 'alice' and [arm-number] = 1")
    assert logic.smart_variables_used(node) == {"user-name", "arm-number"}
    assert logic.fields_used(node) == set()
    assert logic.evaluate(node, {}, {"user-name": "alice", "arm-number": "1"}) is True
    with pytest.raises(logic.NotEvaluated, match=r"\[user-name\] is not evaluated here"):
        logic.evaluate(node, {})
    previous = logic.parse("[previous-event-name][weight] > 10")
    assert logic.fields_used(previous) == {"weight"}
    with pytest.raises(logic.NotEvaluated):
        logic.evaluate(previous, {"weight": "12"}, {"event-name": "visit_2"})


def test_instances():
    """[field][instance] reads one instance of a repeating instrument or event."""
    node = logic.parse("[weight][2] > 10")
    assert logic.evaluate(node, {"weight": "12"}, {"current-instance": "2"}) is True
    with pytest.raises(logic.NotEvaluated):
        logic.evaluate(node, {"weight": "12"}, {"current-instance": "1"})
    assert value("[weight][current-instance] > 10", {"weight": "12"}) is True


def test_not_evaluated_logic_leaves_a_field_shown():
    """A rule that cannot be evaluated here never hides a question."""
    from neuroregen.instruments.entry import is_shown

    class Field:
        branching_logic = "[record-name] <> ''"

    assert is_shown(Field(), {}) is True


@pytest.mark.parametrize(
    "text",
    [
        "[a] == 1",
        "[a] != 1",
        "TRUE and not FALSE",
        "[a] = 1 AND [b] = 2 OR [c] = 3",
        "-2^2 = -4",
        "[a] = \"1\" or [a] = '2'",
        "[survey-link:consent:Open the consent]",
        "[aggregate-sum:score] > 0",
    ],
)
def test_redcap_syntax_parses(text):
    logic.parse(text)


def test_precedence_and_errors_point_at_the_character():
    assert calc("2 + 3 * 4 ^ 2") == "50"
    assert value("-2^2") == -4
    with pytest.raises(logic.LogicError, match="character 7"):
        logic.parse("[a] = = 1")
