"""The outlier screen of an import's new forms: running sums may only pass a form on to the
exact rule too often, never let through one the exact rule would flag."""

from __future__ import annotations

import math
from types import SimpleNamespace

from hypothesis import example, given, settings
from hypothesis import strategies as st

from neuroregen.instruments.quality import outlier_message
from neuroregen.interop.form_quality import _maybe_outlier, _outliers

COHORT = [50.0, 52, 48, 51, 49, 50, 53, 47, 50, 50]  # mean 50, SD 1.76
SCORE = st.one_of(
    st.integers(0, 200).map(float),  # totals of item numbers
    st.floats(-1000, 1000, allow_nan=False, allow_subnormal=False),
)


def _sums(values: list[float]) -> tuple[int, float, float]:
    return len(values), math.fsum(values), math.fsum(x * x for x in values)


@settings(max_examples=500, deadline=None)
@given(others=st.lists(SCORE, max_size=30), value=SCORE, included=st.booleans())
@example(others=COHORT, value=55.5, included=False)  # 3.1 SD: just past the rule's limit
@example(others=COHORT, value=55.5, included=True)
def test_the_screen_passes_on_every_value_the_rule_flags(others, value, included):
    cohort = [*others, value] if included else others  # the form itself in it, or not
    if outlier_message(value, others) is not None:
        assert _maybe_outlier(value, _sums(cohort), included)


def test_the_screen_lets_a_value_within_the_cohort_go_and_needs_a_cohort():
    others = COHORT
    assert not _maybe_outlier(51.0, _sums(others), included=False)
    assert _maybe_outlier(80.0, _sums(others), included=False)
    assert _maybe_outlier(80.0, _sums([*others, 80.0]), included=True)
    assert not _maybe_outlier(80.0, _sums(others[:5]), included=False)  # too few to judge
    assert not _maybe_outlier(80.0, None, included=False)  # no stored score of this code


def test_a_form_far_from_its_cohort_is_flagged_with_the_rule_s_message_and_others_are_not():
    prepared = SimpleNamespace(score_defs=[SimpleNamespace(code="t", label="Total")])
    cohort = {"t": [*COHORT, 80.0, 51.0]}  # two new complete forms added to the stored ones
    sums = {"t": _sums(cohort["t"])}
    decided: dict = {}

    far = _outliers(prepared, {"t": 80.0}, True, cohort, sums, decided)
    near = _outliers(prepared, {"t": 51.0}, True, cohort, sums, decided)
    unscored = _outliers(prepared, {}, True, cohort, sums, decided)

    expected = outlier_message(80.0, [*COHORT, 51.0])  # every other complete form
    assert expected
    assert [(f.rule, f.field_name, f.message) for f in far] == [
        ("outlier", "t", f"Total: {expected}")
    ]
    assert near == unscored == []
    assert cohort["t"] == [*COHORT, 80.0, 51.0]  # the cohort itself is left as it was
