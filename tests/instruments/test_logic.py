"""Branching logic and calculated fields, as REDCap evaluates them."""

from __future__ import annotations

import pytest

from neuroregen.instruments import logic
from neuroregen.instruments.entry import clean_answers, compute_calcs, shown_fields
from neuroregen.instruments.redcap import DictionaryRow


@pytest.mark.parametrize(
    ("expression", "values", "expected"),
    [
        ("[a] = '1'", {"a": "1"}, True),
        ("[a] = '1'", {"a": ""}, False),
        ("[a] = ''", {}, True),
        ("[a] <> '' and [b] > 3", {"a": "x", "b": "10"}, True),
        ("[b] > 3", {"b": "10"}, True),  # numeric, not text, comparison
        ("[b] > 3 or [c(2)] = '1'", {"b": "1", "c": ["2"]}, True),
        ("not ([a] = '1')", {"a": "1"}, False),
        ("[c(99)] = '1'", {"c": ["1"]}, False),
    ],
)
def test_branching(expression, values, expected):
    assert logic.shown(expression, values) is expected


@pytest.mark.parametrize(
    ("expression", "values", "expected"),
    [
        ("[h] * 60", {"h": "7.5"}, "450"),
        ("[h] * 60", {"h": ""}, ""),  # arithmetic on a blank is blank
        ("sum([a], [b], [c])", {"a": "1", "b": "", "c": "2"}, "3"),
        ("mean([a], [b])", {"a": "1", "b": "2"}, "1.5"),
        ("round([a] / 3, 1)", {"a": "10"}, "3.3"),
        ("if([a] > 5, 1, 0)", {"a": "7"}, "1"),
        ("2 ^ 3 ^ 2", {}, "512"),
        ("-[a] + 1", {"a": "3"}, "-2"),
        ("datediff([d1], [d2], 'd')", {"d1": "2024-01-01", "d2": "2024-03-01"}, "60"),
        ("[a] / [b]", {"a": "1", "b": "0"}, ""),
    ],
)
def test_calculations(expression, values, expected):
    assert logic.calculate(expression, values) == expected


@pytest.mark.parametrize(
    "bad", ["[a] +", "unknownfn([a])", "([a]", "[e][a][1][2]", "[a] = = 1", "[a:bogus]"]
)
def test_unreadable_logic_is_an_error(bad):
    with pytest.raises(logic.LogicError):
        logic.parse(bad)


def _fields():
    return [
        DictionaryRow("woke", "f", field_type="yesno", field_label="Woke?"),
        DictionaryRow(
            "why",
            "f",
            field_type="checkbox",
            field_label="Why",
            choices="1, Pain | 99, Other",
            branching_logic="[woke] = '1'",
        ),
        DictionaryRow("other", "f", field_label="Other", branching_logic="[why(99)] = '1'"),
        DictionaryRow(
            "hours",
            "f",
            field_label="Hours",
            validation="number",
            validation_min="0",
            validation_max="16",
        ),
        DictionaryRow("minutes", "f", field_type="calc", field_label="Min", choices="[hours]*60"),
    ]


class _F:  # DictionaryRow plus the two properties entry uses
    def __init__(self, row):
        self.__dict__.update(row.as_dict())
        self.is_required = row.required == "y"


def test_branching_chain_and_calc_over_fields():
    fields = [_F(r) for r in _fields()]
    names = lambda answers: [f.field_name for f in shown_fields(fields, answers)]  # noqa: E731
    assert names({}) == ["woke", "hours", "minutes"]
    assert names({"woke": "1"}) == ["woke", "why", "hours", "minutes"]
    assert names({"woke": "1", "why": ["99"]}) == ["woke", "why", "other", "hours", "minutes"]
    assert compute_calcs(fields, {"hours": "8"})["minutes"] == "480"
    assert compute_calcs(fields, {"hours": "8"}, {"hours": "UNK"})["minutes"] == ""


def test_missing_codes_are_kept_apart_from_blanks_and_values():
    fields = [_F(r) for r in _fields()]
    stored, codes, errors = clean_answers(fields, {"hours": "7"}, {"woke": "DECL", "other": "NA"})
    assert stored == {"hours": "7"}
    assert codes == {"woke": "DECL", "other": "NA"}
    assert errors == {}
    _stored, _codes, errors = clean_answers(fields, {"hours": "7"}, {"hours": "UNK"})
    assert "either an answer or a missing-data code" in errors["hours"]
    _stored, _codes, errors = clean_answers(
        fields, {"hours": "seven", "woke": "2"}, {"why": "LATER"}
    )
    assert set(errors) == {"hours", "woke", "why"}
