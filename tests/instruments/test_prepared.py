"""The shortcuts an import takes through the instrument rules give what the full rules give.

An import cleans, calculates and scores thousands of forms with the same functions data entry
uses; a few of them remember what they have already checked or converted. Each shortcut is
compared here with the full path on generated values, the awkward ones included (blanks,
padding, missing-data codes, lists where text is expected, True next to 1).
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neuroregen.instruments import logic, scoring
from neuroregen.instruments.entry import FormCleaner
from neuroregen.instruments.redcap import DictionaryRow


class _F:  # a field as entry and quality read it
    def __init__(self, row: DictionaryRow) -> None:
        self.__dict__.update(row.as_dict())
        self.is_required = row.required == "y"


FIELDS = [
    _F(DictionaryRow("r1", "f", field_type="radio", choices="0, No | 1, Some | 2, Much")),
    _F(DictionaryRow("r2", "f", field_type="radio", choices="1, A | NA, Not asked")),
    _F(DictionaryRow("yn", "f", field_type="yesno")),
    _F(DictionaryRow("n", "f", validation="integer", validation_min="0", validation_max="9")),
    _F(DictionaryRow("d", "f", validation="date_ymd")),
    _F(DictionaryRow("s", "f", field_type="slider")),
    _F(DictionaryRow("t", "f")),
    _F(DictionaryRow("c", "f", field_type="calc", choices="sum([r1], [n])")),
]
BOX = _F(DictionaryRow("box", "f", field_type="checkbox", choices="1, One | 2, Two"))

TEXTS = st.sampled_from(
    ["", " ", "0", "1", "2", " 1", "2 ", "3", "NA", "UNK", "DECL", "x", "-1", "12", "101", "１"]
)
DATES = st.sampled_from(["2024-01-05", "2024-02-30"])
VALUES = st.one_of(TEXTS, DATES, st.none(), st.lists(TEXTS, max_size=2), st.integers(-2, 3))
NAMES = st.sampled_from(["r1", "r2", "yn", "n", "d", "s", "t", "c", "box", "other"])
VALID = {
    "r1": ["0", "1", "2"],
    "r2": ["1", "NA"],
    "yn": ["0", "1"],
    "n": ["0", "4", "12"],
    "d": ["2024-01-05"],
    "s": ["0", "55"],
    "t": ["x", "a b"],
}
# mostly valid answers, so that whole forms are remembered and take the shortcut
PAIRS = st.one_of(
    *[st.tuples(st.just(name), st.sampled_from(values)) for name, values in VALID.items()],
    st.tuples(NAMES, VALUES),
)
ANSWERS = st.lists(PAIRS, max_size=6).map(dict)
CODES = st.sampled_from(["", "NA", "UNK", "DECL", "NASK", "LATER"])


@settings(max_examples=300, deadline=None)
@given(
    forms=st.lists(
        st.tuples(ANSWERS, st.dictionaries(NAMES, CODES, max_size=2)),
        min_size=1,
        max_size=8,
    ),
    checkbox=st.booleans(),
)
def test_a_cleaner_that_remembers_accepted_answers_cleans_as_the_full_checks(forms, checkbox):
    fields = [*FIELDS, BOX] if checkbox else FIELDS
    cleaner = FormCleaner(fields)
    for answers, missing in forms * 2:  # the second round meets remembered answers
        assert _outcome(cleaner.clean, answers, missing) == _outcome(
            FormCleaner(fields)._clean, answers, missing
        )


def _outcome(clean, answers, missing):
    """What ``clean`` returns, key order included (it is the order stored), or its error."""
    try:
        return [list(part.items()) for part in clean(answers, missing)]
    except TypeError as error:  # e.g. a number where a checkbox takes a list, either way
        return type(error)


def test_a_remembered_answer_keeps_field_order_and_an_answer_is_never_remembered_when_wrong():
    cleaner = FormCleaner(FIELDS)
    for _ in range(2):  # checked, then remembered
        stored, codes, errors = cleaner.clean({"n": "4", "r1": "1"}, {"t": "UNK"})
        assert list(stored.items()) == [("r1", "1"), ("n", "4")]
        assert (codes, errors) == ({"t": "UNK"}, {})
    for _ in range(2):
        stored, _codes, errors = cleaner.clean({"r1": "7"}, {"t": "UNK"})
        assert stored == {}
        assert "not one of the choices" in errors["r1"]


FIELD_VALUES = st.one_of(
    st.none(),
    st.sampled_from(["", "1", "2.5", " 3", "-1", "1e3", "x", "nan", "inf", "0"]),
    st.lists(st.sampled_from(["1", "2", "a"]), max_size=3),
    st.tuples(st.sampled_from(["1", "2"])),
    st.sets(st.sampled_from(["1", "2"]), max_size=2),
    st.frozensets(st.sampled_from(["1", "2"]), max_size=2),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(allow_nan=False, allow_infinity=False, width=16),
)


def _same(a: object, b: object) -> bool:
    return a == b or (
        isinstance(a, float) and isinstance(b, float) and math.isnan(a) == math.isnan(b)
    )


@settings(max_examples=400, deadline=None)
@given(values=st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), FIELD_VALUES))
def test_a_total_over_fields_is_the_general_sum(values):
    node = logic.parse("sum([a], [b], [c], [d])")
    general = logic._call("sum", [logic.compile_node(arg)(values) for arg in node[2]])
    assert _same(logic.compile_node(node)(values), general)
    assert logic.calculate("sum([a], [b], [c], [d])", values) == logic.calculate(
        "sum([a], [b], [c], [d]) + 0", values
    )


ITEM_VALUES = st.one_of(
    st.none(),
    st.sampled_from(["", "0", "1", "2", " 2", "1.50", "x", "NaN", "1_0"]),
    st.booleans(),
    st.integers(0, 3),
    st.floats(min_value=0, max_value=3, width=16),
    st.lists(st.sampled_from(["1"]), max_size=1),
    st.dictionaries(st.just("v"), st.just("1"), max_size=1),
)


@settings(max_examples=400, deadline=None)
@given(
    answers=st.dictionaries(st.sampled_from(["a", "b", "c"]), ITEM_VALUES),
    missing=st.dictionaries(st.sampled_from(["a", "b", "c"]), st.just("UNK"), max_size=1),
)
def test_item_numbers_remembered_are_the_numbers_read_afresh(answers, missing):
    items = ["a", "b", "c"]
    expected = [None if n in missing else scoring._number(answers.get(n)) for n in items]
    # compared as text: Decimal("NaN") is not equal to itself
    assert repr(scoring._item_numbers(items, answers, missing)) == repr(expected)
    assert repr(scoring._item_numbers(items, answers, missing)) == repr(expected)  # cached


def test_true_and_one_are_not_confused_by_the_cache():
    assert scoring._item_numbers(["a"], {"a": 1}, {}) == [1]
    assert scoring._item_numbers(["a"], {"a": True}, {}) == [None]  # Decimal("True") is no number
    assert scoring._item_numbers(["a"], {"a": 1}, {}) == [1]


@pytest.mark.parametrize(
    ("expression", "values", "expected"),
    [
        ("if([a] = 1, datediff([d]), 0)", {"a": "2"}, "0"),  # a bad branch not taken is fine
        ("sum([box], [a])", {"box": ["2", "1"], "a": "1"}, "1"),  # "1,2" is no number
        ("sum([a])", {}, ""),
    ],
)
def test_compiled_expressions_keep_redcap_semantics(expression, values, expected):
    assert logic.calculate(expression, values) == expected


def test_a_bad_branch_taken_is_still_an_error():
    with pytest.raises(logic.LogicError):
        logic.calculate("if([a] = 1, datediff([d]), 0)", {"a": "1"})


RULE_FIELDS = [
    *FIELDS,
    _F(DictionaryRow("why", "f", branching_logic="[yn] = '1'")),
    _F(DictionaryRow("must", "f", field_type="radio", choices="1, A | 2, B", required="y")),
    _F(DictionaryRow("when", "f", validation="datetime_ymd")),
]


@settings(max_examples=300, deadline=None)
@given(
    answers=st.lists(
        st.one_of(
            PAIRS,
            st.tuples(st.sampled_from(["why", "must", "when"]), TEXTS),
            st.tuples(st.just("when"), st.sampled_from(["2999-01-01 10:00", "1990-01-01 10:00"])),
        ),
        max_size=8,
    ).map(dict),
    missing=st.dictionaries(st.sampled_from(["must", "t", "why"]), st.just("UNK"), max_size=1),
    status=st.sampled_from(["complete", "in_progress"]),
)
def test_rules_that_skip_fields_no_rule_can_flag_find_what_visiting_every_field_finds(
    answers, missing, status
):
    import datetime as dt

    from neuroregen.instruments.quality import ResponseRules

    prepared = ResponseRules(RULE_FIELDS, [])
    every = ResponseRules(RULE_FIELDS, [])
    every.fields, every.branching = list(RULE_FIELDS), True
    kwargs = {
        "answers": answers,
        "missing": missing,
        "status": status,
        "scores": {},
        "cohort": {},
        "today": dt.date(2025, 6, 1),
        "earliest": dt.date(2015, 1, 1),
    }
    assert prepared.findings(**kwargs) == every.findings(**kwargs)
