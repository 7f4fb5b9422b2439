"""Tests for neuroregen.stats.subgroups against statsmodels/scipy and hand formulas."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from neuroregen.stats.results import AGE_CONFOUNDING, MULTIPLICITY, SYNTHETIC
from neuroregen.stats.subgroups import NO_CONTROL_SUBGROUPS, overall_estimate, subgroup_analysis


def continuous_frame() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    levels = ["none"] * 25 + ["epilepsy"] * 15 + ["ADHD"] * 20 + ["GI"] * 3
    shift = {"none": -4.0, "epilepsy": -1.0, "ADHD": -6.0, "GI": -2.0}
    change = [rng.normal(shift[g], 5.0) for g in levels]
    return pd.DataFrame({"change": change, "comorbidity": levels})


def binary_frame() -> pd.DataFrame:
    rng = np.random.default_rng(8)
    levels = ["IV"] * 40 + ["intrathecal"] * 30 + ["both"] * 12
    p = {"IV": 0.3, "intrathecal": 0.45, "both": 0.2}
    resp = [int(rng.random() < p[g]) for g in levels]
    return pd.DataFrame({"responder": resp, "route": levels})


class TestContinuous:
    def test_f_test_matches_statsmodels_ols(self) -> None:
        df = continuous_frame()
        res = subgroup_analysis(df, outcome="change", subgroup="comorbidity")
        ols = smf.ols("change ~ C(comorbidity)", data=df).fit()
        assert res.statistic == pytest.approx(ols.fvalue, rel=1e-10)
        assert res.p_value == pytest.approx(ols.f_pvalue, rel=1e-10)
        assert res.df == (3.0, 59.0)
        groups = [g["change"].to_numpy() for _, g in df.groupby("comorbidity")]
        assert res.statistic == pytest.approx(stats.f_oneway(*groups).statistic, rel=1e-10)

    def test_subgroup_means_and_t_intervals_by_hand(self) -> None:
        df = continuous_frame()
        res = subgroup_analysis(df, outcome="change", subgroup="comorbidity")
        for est in res.subgroups:
            y = df.loc[df["comorbidity"] == est.details["level"], "change"].to_numpy()
            half = stats.t.ppf(0.975, y.size - 1) * y.std(ddof=1) / math.sqrt(y.size)
            assert est.estimate == pytest.approx(y.mean())
            assert est.ci_low == pytest.approx(y.mean() - half)
            assert est.ci_high == pytest.approx(y.mean() + half)
            assert est.n == y.size
        assert res.overall.estimate == pytest.approx(df["change"].mean())
        assert res.overall.n == 63

    def test_tiny_subgroup_is_flagged_not_hidden(self) -> None:
        res = subgroup_analysis(continuous_frame(), outcome="change", subgroup="comorbidity")
        table = res.forest_table()
        gi = table[table["label"] == "GI"].iloc[0]
        assert gi["tiny"]
        assert gi["n"] == 3
        assert not table[table["label"] == "none"]["tiny"].item()
        assert any("fewer than 5" in c for c in res.caveats)
        assert list(table.columns[:5]) == ["label", "estimate", "low", "high", "n"]
        assert table.iloc[-1]["label"] == "overall"

    def test_multiplicity_always_attached(self) -> None:
        res = subgroup_analysis(continuous_frame(), outcome="change", subgroup="comorbidity")
        assert MULTIPLICITY in res.caveats
        assert all(MULTIPLICITY in e.caveats for e in res.subgroups)
        assert NO_CONTROL_SUBGROUPS in res.caveats
        assert "By comorbidity" in res.as_text()

    def test_age_confounding_detected_from_name(self) -> None:
        df = continuous_frame().rename(columns={"comorbidity": "age_band"})
        res = subgroup_analysis(df, outcome="change", subgroup="age_band", caveats=(SYNTHETIC,))
        assert AGE_CONFOUNDING in res.caveats
        assert SYNTHETIC in res.overall.caveats
        res2 = subgroup_analysis(continuous_frame(), outcome="change", subgroup="comorbidity")
        assert AGE_CONFOUNDING not in res2.caveats

    def test_missing_rows_excluded_and_counted(self) -> None:
        df = continuous_frame()
        df.loc[[0, 1], "change"] = np.nan
        df.loc[2, "comorbidity"] = None
        res = subgroup_analysis(df, outcome="change", subgroup="comorbidity")
        assert res.overall.n == 60
        assert res.overall.details["excluded_missing"] == 3

    def test_order_and_absent_level(self) -> None:
        res = subgroup_analysis(
            continuous_frame(),
            outcome="change",
            subgroup="comorbidity",
            order=["none", "ADHD", "epilepsy", "GI", "sleep disorder"],
        )
        labels = [e.details["level"] for e in res.subgroups]
        assert labels == ["none", "ADHD", "epilepsy", "GI", "sleep disorder"]
        empty = res.subgroups[-1]
        assert empty.n == 0
        assert math.isnan(empty.estimate)
        assert res.df == (3.0, 59.0)  # empty levels do not enter the test

    def test_order_missing_a_level_is_an_error(self) -> None:
        with pytest.raises(ValueError, match="not in order"):
            subgroup_analysis(
                continuous_frame(), outcome="change", subgroup="comorbidity", order=["none"]
            )


class TestBinary:
    def test_g2_equals_logistic_likelihood_ratio(self) -> None:
        df = binary_frame()
        res = subgroup_analysis(df, outcome="responder", subgroup="route", kind="binary")
        full = smf.logit("responder ~ C(route)", data=df).fit(disp=0)
        assert res.statistic == pytest.approx(full.llr, rel=1e-6)
        assert res.p_value == pytest.approx(full.llr_pvalue, rel=1e-5)
        assert res.df == (2.0,)

    def test_wilson_intervals_by_hand(self) -> None:
        df = binary_frame()
        res = subgroup_analysis(df, outcome="responder", subgroup="route", kind="binary")
        z = 1.959963984540054
        for est in res.subgroups:
            y = df.loc[df["route"] == est.details["level"], "responder"]
            n, p = len(y), y.mean()
            centre = (p + z * z / (2 * n)) / (1 + z * z / n)
            half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
            assert est.estimate == pytest.approx(p)
            assert est.ci_low == pytest.approx(centre - half, abs=1e-12)
            assert est.ci_high == pytest.approx(centre + half, abs=1e-12)
            assert est.details["responders"] == y.sum()

    def test_zero_percent_subgroup_keeps_a_finite_test(self) -> None:
        # hand G²: table [[0, 6], [6, 6]]; E = [[2, 4], [4, 8]];
        # G² = 2(6 ln(6/4) + 6 ln(6/4) + 6 ln(6/8)) = 2(12 ln 1.5 + 6 ln 0.75)
        df = pd.DataFrame({"r": [0] * 6 + [1] * 6 + [0] * 6, "lot": ["A"] * 6 + ["B"] * 12})
        res = subgroup_analysis(df, outcome="r", subgroup="lot", kind="binary")
        expected = 2 * (12 * math.log(1.5) + 6 * math.log(0.75))
        assert res.statistic == pytest.approx(expected, rel=1e-12)
        assert res.subgroups[0].estimate == 0.0
        assert res.subgroups[0].ci_low == 0.0
        assert res.subgroups[0].ci_high > 0.0

    def test_all_responders_means_no_test(self) -> None:
        df = pd.DataFrame({"r": [1] * 8, "lot": ["A"] * 4 + ["B"] * 4})
        res = subgroup_analysis(df, outcome="r", subgroup="lot", kind="binary")
        assert math.isnan(res.p_value)
        assert res.test_name.startswith("no test")

    def test_binary_outcome_must_be_zero_one(self) -> None:
        df = pd.DataFrame({"r": [0, 2, 1], "lot": ["A", "B", "A"]})
        with pytest.raises(ValueError, match="0/1"):
            subgroup_analysis(df, outcome="r", subgroup="lot", kind="binary")


@settings(max_examples=40, deadline=None)
@given(
    data=st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c"]),
            st.floats(min_value=-50, max_value=50, allow_nan=False),
        ),
        min_size=4,
        max_size=40,
    )
)
def test_subgroup_invariants(data: list[tuple[str, float]]) -> None:
    df = pd.DataFrame(data, columns=["g", "y"])
    res = subgroup_analysis(df, outcome="y", subgroup="g")
    # the overall mean is the n-weighted average of subgroup means
    weighted = sum(e.estimate * e.n for e in res.subgroups) / sum(e.n for e in res.subgroups)
    assert res.overall.estimate == pytest.approx(weighted, abs=1e-9)
    assert sum(e.n for e in res.subgroups) == len(df)
    for e in (*res.subgroups, res.overall):
        if not math.isnan(e.ci_low):
            assert e.ci_low <= e.estimate + 1e-9 <= e.ci_high + 2e-9
    assert MULTIPLICITY in res.caveats
    if not math.isnan(res.p_value):
        assert 0.0 <= res.p_value <= 1.0


class TestOverallEstimate:
    """``overall_estimate`` is the overall row of ``subgroup_analysis`` without the subgroups
    (the evidence page's table by lot asks it for hundreds of lots)."""

    def test_equals_the_overall_of_a_one_level_subgroup_analysis(self) -> None:
        y = np.array([-5.0, np.nan, -3.5, -8.25, 0.0, np.nan, -2.0])
        frame = pd.DataFrame({"change": y, "one": "all"})
        reference = subgroup_analysis(
            frame, outcome="change", subgroup="one", quantity="mean change", caveats=(SYNTHETIC,)
        ).overall
        assert overall_estimate(y, quantity="mean change", caveats=(SYNTHETIC,)) == reference

    def test_interval_is_the_t_interval_of_the_complete_values(self) -> None:
        y = np.array([1.0, 2.0, 4.0, np.nan])
        est = overall_estimate(y, quantity="q", confidence=0.9)
        half = stats.t.ppf(0.95, 2) * np.std([1.0, 2.0, 4.0], ddof=1) / math.sqrt(3)
        assert est.estimate == pytest.approx(7 / 3)
        assert (est.ci_low, est.ci_high) == pytest.approx((7 / 3 - half, 7 / 3 + half))
        assert est.n == 3
        assert est.details["excluded_missing"] == 1
        assert MULTIPLICITY not in est.caveats
        assert NO_CONTROL_SUBGROUPS in est.caveats

    def test_needs_two_values(self) -> None:
        with pytest.raises(ValueError, match="at least two"):
            overall_estimate(np.array([1.0, np.nan]), quantity="q")
