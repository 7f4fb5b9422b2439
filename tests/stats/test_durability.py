"""Tests for neuroregen.stats.durability against a textbook example and hand computation.

Reference data: the Freireich et al. (Blood 1963) 6-MP leukaemia remission trial as tabulated in
Kleinbaum DG, Klein M. Survival Analysis: A Self-Learning Text, 3rd ed., Springer 2012, ch. 2
(remission times in weeks; "+" = censored). Here "remission lasting" plays the role of
"response lasting".
"""

from __future__ import annotations

import dataclasses
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neuroregen.stats.durability import (
    INFORMATIVE_CENSORING,
    RESPONDERS_ONLY,
    durability,
    log_rank,
)
from neuroregen.stats.results import SMALL_N

# Group 1 (6-MP), n = 21: 6,6,6,7,10,13,16,22,23, 6+,9+,10+,11+,17+,19+,20+,25+,32+,32+,34+,35+
MP_TIME = [6, 6, 6, 7, 10, 13, 16, 22, 23, 6, 9, 10, 11, 17, 19, 20, 25, 32, 32, 34, 35]
MP_EVENT = [1] * 9 + [0] * 12
# Group 2 (placebo), n = 21, no censoring.
PL_TIME = [1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23]
PL_EVENT = [1] * 21

# Kleinbaum & Klein (2012) ch. 2, KM table for the 6-MP group, printed to 3 decimals:
# t = 6, 7, 10, 13, 16, 22, 23. Tolerance 1e-3: the textbook multiplies rounded factors step by
# step, so its last digit may differ by one from the exactly computed product.
KK_TIMES = [6, 7, 10, 13, 16, 22, 23]
KK_SURV = [0.857, 0.807, 0.753, 0.690, 0.627, 0.538, 0.448]
# Kleinbaum & Klein ch. 2: median remission 23 weeks (6-MP), 8 weeks (placebo); log-rank
# statistic 16.79 (tolerance 0.005), observed 9 vs 21, expected 19.25 vs 10.75 (tolerance 0.01).
KK_LOGRANK = 16.79


def hand_km(times: list[int], events: list[int]) -> list[tuple[int, int, int, Fraction, float]]:
    """Independent hand computation: (t, at risk, deaths, S exact, Greenwood sum)."""
    rows = []
    s = Fraction(1)
    gw = 0.0
    for t in sorted({t for t, e in zip(times, events, strict=True) if e}):
        n = sum(1 for x in times if x >= t)
        d = sum(1 for x, e in zip(times, events, strict=True) if x == t and e)
        s *= Fraction(n - d, n)
        gw += d / (n * (n - d)) if n > d else math.inf
        rows.append((t, n, d, s, gw))
    return rows


class TestKaplanMeier:
    def test_matches_textbook_table(self) -> None:
        res = durability(MP_TIME, MP_EVENT, response_definition="remission", time_unit="weeks")
        table = res.table
        assert list(table["time"][1:]) == KK_TIMES
        np.testing.assert_allclose(table["survival"][1:], KK_SURV, atol=1e-3)

    def test_matches_hand_computation_exactly(self) -> None:
        res = durability(MP_TIME, MP_EVENT, response_definition="remission")
        table = res.table.iloc[1:]
        for (t, n, d, s, gw), (_, row) in zip(
            hand_km(MP_TIME, MP_EVENT), table.iterrows(), strict=True
        ):
            assert row["time"] == t
            assert row["at_risk"] == n
            assert row["events"] == d
            assert row["survival"] == pytest.approx(float(s), rel=1e-12)
            # Greenwood: Var S = S² Σ d/(n(n−d))
            assert row["se"] == pytest.approx(float(s) * math.sqrt(gw), rel=1e-10)

    def test_log_log_interval_by_hand_at_week_6(self) -> None:
        # Hand computation: S = 18/21, σ² = 3/(21·18), θ = exp(1.959964 σ / |ln S|);
        # interval (S^θ, S^(1/θ)) = (0.6197, 0.9516).
        s = 18 / 21
        sigma = math.sqrt(3 / (21 * 18))
        theta = math.exp(1.959964 * sigma / abs(math.log(s)))
        res = durability(MP_TIME, MP_EVENT, response_definition="remission")
        row = res.table.iloc[1]
        assert row["lower"] == pytest.approx(s**theta, abs=1e-6)
        assert row["upper"] == pytest.approx(s ** (1 / theta), abs=1e-6)
        assert row["lower"] == pytest.approx(0.6197, abs=5e-4)

    def test_median_and_brookmeyer_crowley_interval(self) -> None:
        res = durability(MP_TIME, MP_EVENT, response_definition="remission")
        assert res.median.estimate == 23.0
        # Hand: Brookmeyer–Crowley set {t_j : |ln(−ln S_j) − ln(−ln 0.5)| / (σ_j/|ln S_j|) ≤ z};
        # the lower limit is the first event time in it, the upper is infinite because the
        # set runs to the last event time.
        inside = []
        for t, _n, _d, s, gw in hand_km(MP_TIME, MP_EVENT):
            sf = float(s)
            stat = abs(math.log(-math.log(sf)) - math.log(-math.log(0.5))) / (
                math.sqrt(gw) / abs(math.log(sf))
            )
            if stat <= 1.959964:
                inside.append(t)
        assert res.median.ci_low == inside[0] == 13
        assert math.isinf(res.median.ci_high)
        placebo = durability(PL_TIME, PL_EVENT, response_definition="remission")
        assert placebo.median.estimate == 8.0

    def test_simultaneous_band_is_wider_than_pointwise(self) -> None:
        res = durability(MP_TIME, MP_EVENT, response_definition="remission")
        t = res.table.iloc[1:]
        assert (t["band_lower"] <= t["lower"] + 1e-12).all()
        assert (t["band_upper"] >= t["upper"] - 1e-12).all()
        assert "Hall–Wellner" in res.band_method

    def test_band_absent_at_other_levels_and_says_why(self) -> None:
        res = durability(MP_TIME, MP_EVENT, response_definition="remission", confidence=0.9)
        assert res.table["band_lower"].isna().all()
        assert "95 %" in res.band_method

    def test_censor_ticks_and_counts(self) -> None:
        res = durability(MP_TIME, MP_EVENT, response_definition="remission")
        table = res.table
        assert table["censored"].sum() == 12 == res.n_censored
        assert table["events"].sum() == 9 == res.n_lost
        # censorings fall in [t_j, t_j+1): 6+ (tied with the losses at 6) → row 6; 9+ → 7;
        # 10+, 11+ → 10; 17+, 19+, 20+ → 16; 25+ … 35+ → 23
        assert list(table["censored"]) == [0, 1, 1, 2, 0, 3, 0, 5]

    def test_survival_at_landmark(self) -> None:
        res = durability(MP_TIME, MP_EVENT, response_definition="remission", time_unit="weeks")
        est = res.survival_at(12)  # step value after t = 10
        assert est.estimate == pytest.approx(KK_SURV[2], abs=5e-4)
        assert est.ci_low < est.estimate < est.ci_high
        assert "remission" in est.quantity
        assert res.survival_at(0.5).estimate == 1.0

    def test_caveats_and_definition_travel_with_result(self) -> None:
        res = durability([3, 5, 9], [1, 0, 1], response_definition="CGI-I ≤ 2")
        assert RESPONDERS_ONLY in res.caveats
        assert INFORMATIVE_CENSORING in res.median.caveats
        assert SMALL_N in res.caveats
        assert "CGI-I ≤ 2" in res.median.quantity
        assert "CGI-I ≤ 2" in res.as_text()

    def test_no_loss_of_response(self) -> None:
        res = durability([3, 5, 9], [0, 0, 0], response_definition="CGI-I ≤ 2")
        assert list(res.table["survival"]) == [1.0]
        assert math.isnan(res.median.estimate)
        assert math.isinf(res.median.ci_high)
        assert any("not reached" in c for c in res.median.caveats)

    def test_result_is_immutable(self) -> None:
        res = durability(MP_TIME, MP_EVENT, response_definition="remission")
        with pytest.raises(dataclasses.FrozenInstanceError):
            res.n = 3  # type: ignore[misc]
        with pytest.raises(ValueError, match="read-only"):
            res.survival[0] = 0.5
        table = res.table
        table.loc[0, "survival"] = 0.0  # a copy: the result is unchanged
        assert res.survival[0] == 1.0

    @pytest.mark.parametrize(
        ("time", "event", "match"),
        [
            ([1, -2], [1, 0], "negative"),
            ([1, float("nan")], [1, 0], "finite"),
            ([1, 2], [1, 2], "event"),
            ([1, 2], [1], "equal length"),
        ],
    )
    def test_invalid_input(self, time: list[float], event: list[int], match: str) -> None:
        with pytest.raises(ValueError, match=match):
            durability(time, event, response_definition="x")

    def test_definition_required(self) -> None:
        with pytest.raises(ValueError, match="definition"):
            durability([1, 2], [1, 0], response_definition=" ")


class TestLogRank:
    def test_freireich_matches_textbook(self) -> None:
        res = log_rank(MP_TIME + PL_TIME, MP_EVENT + PL_EVENT, ["6-MP"] * 21 + ["placebo"] * 21)
        assert res.chi2 == pytest.approx(KK_LOGRANK, abs=0.005)
        assert res.df == 1
        assert res.groups == ("6-MP", "placebo")
        assert res.observed == (9.0, 21.0)
        assert res.expected[0] == pytest.approx(19.25, abs=0.01)
        assert res.expected[1] == pytest.approx(10.75, abs=0.01)
        assert res.p_value < 1e-4

    def test_hand_computed_two_group_statistic(self) -> None:
        # Independent hand computation with the hypergeometric variance:
        # U = Σ (d_1j − d_j n_1j/n_j), V = Σ d_j (n_1j/n_j)(1 − n_1j/n_j)(n_j − d_j)/(n_j − 1).
        time = np.array([2, 3, 3, 5, 6, 7, 8, 9, 11, 12], dtype=float)
        event = np.array([1, 1, 0, 1, 1, 0, 1, 1, 1, 0])
        group = np.array(list("aababbabbb"))
        u = v = 0.0
        for t in np.unique(time[event == 1]):
            at = time >= t
            n, n1 = at.sum(), (at & (group == "a")).sum()
            d = ((time == t) & (event == 1)).sum()
            d1 = ((time == t) & (event == 1) & (group == "a")).sum()
            u += d1 - d * n1 / n
            if n > 1:
                v += d * (n1 / n) * (1 - n1 / n) * (n - d) / (n - 1)
        res = log_rank(time, event, group)
        assert res.chi2 == pytest.approx(u * u / v, rel=1e-9)
        assert res.observed[0] - res.expected[0] == pytest.approx(u, rel=1e-9)

    def test_three_groups_have_two_df(self) -> None:
        res = log_rank([1, 2, 3, 4, 5, 6], [1, 1, 1, 1, 1, 0], ["a", "b", "c", "a", "b", "c"])
        assert res.df == 2
        assert sum(res.observed) == pytest.approx(sum(res.expected))

    def test_needs_two_groups(self) -> None:
        with pytest.raises(ValueError, match="two groups"):
            log_rank([1, 2], [1, 1], ["a", "a"])


@settings(max_examples=50, deadline=None)
@given(
    data=st.lists(
        st.tuples(st.integers(min_value=0, max_value=30), st.integers(min_value=0, max_value=1)),
        min_size=1,
        max_size=40,
    )
)
def test_km_invariants(data: list[tuple[int, int]]) -> None:
    time = [float(t) for t, _ in data]
    event = [e for _, e in data]
    res = durability(time, event, response_definition="x")
    table = res.table
    surv = table["survival"].to_numpy()
    assert np.all(np.diff(surv) <= 1e-12)
    assert np.all((surv >= 0) & (surv <= 1))
    ok = ~np.isnan(table["lower"].to_numpy())
    assert np.all(table["lower"].to_numpy()[ok] <= surv[ok] + 1e-12)
    assert np.all(table["upper"].to_numpy()[ok] >= surv[ok] - 1e-12)
    assert int(table["events"].sum() + table["censored"].sum()) == len(data)
