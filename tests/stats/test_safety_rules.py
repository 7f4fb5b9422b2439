"""Safety statistics: reference values with their provenance.

Sources of reference numbers
----------------------------
* NEWCOMBE: Newcombe RG. Stat Med 1998;17:857–872, Table II, method 5 (Clopper–Pearson "exact"),
  printed to 4 decimals (tolerance half a unit in the last printed digit, 5e-5):
  81/263 → 0.2527–0.3676; 15/148 → 0.0578–0.1617; 0/20 → 0.0000–0.1684; 1/29 → 0.0009–0.1776.
* GARWOOD: exact Poisson limits for a count k (Garwood 1936; tabulated e.g. in Ulm K, Am J
  Epidemiol 1990;131:373–375), printed to 3 decimals (tolerance 5e-4): k=0 → 0–3.689;
  k=1 → 0.0253–5.572; k=3 → 0.619–8.767; k=10 → 4.795–18.390. The k=0 upper limit is also
  the closed form −ln(0.025).
* WORKED: the beta-binomial stopping rule written out by hand in this file. For integer
  posterior parameters a', b': P(p > θ) = P(Binomial(a' + b' − 1, θ) ≤ a' − 1), a finite sum
  computed below with ``math.comb`` (no scipy), so the rule is checked independently.
"""

from __future__ import annotations

import math

import pytest
from scipy import stats

from neuroregen.stats.results import SMALL_N
from neuroregen.stats.safety_rules import (
    beta_binomial_boundaries,
    beta_binomial_rule,
    fixed_count_rule,
    incidence_rate_exact,
    person_years,
    poisson_exact_interval,
    proportion_exact,
)


@pytest.mark.parametrize(
    ("x", "n", "low", "high"),
    [
        (81, 263, 0.2527, 0.3676),
        (15, 148, 0.0578, 0.1617),
        (0, 20, 0.0, 0.1684),
        (1, 29, 0.0009, 0.1776),
    ],
)
def test_clopper_pearson_matches_newcombe(x, n, low, high):
    est = proportion_exact(x, n)
    assert est.estimate == pytest.approx(x / n)
    assert est.ci_low == pytest.approx(low, abs=5e-5)
    assert est.ci_high == pytest.approx(high, abs=5e-5)
    assert "Clopper–Pearson" in est.method
    assert est.details == {"events": x, "n": n}


def test_proportion_small_n_caveat_and_bad_input():
    assert SMALL_N in proportion_exact(2, 12).caveats
    with pytest.raises(ValueError, match="at least one participant"):
        proportion_exact(0, 0)
    with pytest.raises(ValueError, match="need 0"):
        proportion_exact(5, 4)


@pytest.mark.parametrize(
    ("k", "low", "high"),
    [(0, 0.0, 3.689), (1, 0.0253, 5.572), (3, 0.619, 8.767), (10, 4.795, 18.390)],
)
def test_poisson_exact_matches_garwood(k, low, high):
    got_low, got_high = poisson_exact_interval(k)
    assert got_low == pytest.approx(low, abs=5e-4)
    assert got_high == pytest.approx(high, abs=5e-4)
    # Defining property: each limit puts exactly α/2 in its tail.
    assert stats.poisson.cdf(k, got_high) == pytest.approx(0.025, abs=1e-9)
    if k:
        assert stats.poisson.sf(k - 1, got_low) == pytest.approx(0.025, abs=1e-9)


def test_poisson_zero_count_closed_form():
    assert poisson_exact_interval(0)[1] == pytest.approx(-math.log(0.025), rel=1e-12)


def test_incidence_rate_scales_by_exposure():
    # 3 events over 2.5 participant-years: 1.2 per participant-year, limits (0.6187, 8.7673)/2.5.
    est = incidence_rate_exact(3, 2.5, n=4)
    assert est.estimate == pytest.approx(1.2)
    assert est.ci_low == pytest.approx(0.61867 / 2.5, abs=1e-4)
    assert est.ci_high == pytest.approx(8.76727 / 2.5, abs=1e-4)
    assert est.quantity == "events per participant-years"
    per100 = incidence_rate_exact(3, 2.5, per=100)
    assert per100.estimate == pytest.approx(120.0)
    with pytest.raises(ValueError, match="exposure must be positive"):
        incidence_rate_exact(1, 0)


def test_incidence_rate_warns_about_repeat_events():
    est = incidence_rate_exact(9, 3.0, n=4)
    assert any("repeat events" in c for c in est.caveats)


def _exceedance_by_hand(events: int, n: int, a: int, b: int, theta: float) -> float:
    a_post, b_post = a + events, b + n - events
    m = a_post + b_post - 1
    return sum(math.comb(m, j) * theta**j * (1 - theta) ** (m - j) for j in range(a_post))


def test_beta_binomial_worked_example():
    # WORKED: uniform prior, 4 of 10 children with a related grade ≥ 3 event, unacceptable
    # rate 20 %, cut-off 80 %: posterior Beta(5, 7);
    # P(p > 0.2) = P(Bin(11, 0.2) ≤ 4) = 0.9495904256 exactly (the five
    # terms 0.08589934592 + 0.23622320128 + 0.29527900160 + 0.22145925120 + 0.11072962560),
    # above 0.80 → stop.
    hand = _exceedance_by_hand(4, 10, 1, 1, 0.2)
    assert hand == pytest.approx(0.9495904256, abs=1e-12)
    result = beta_binomial_rule(4, 10, threshold=0.2, cutoff=0.8)
    assert result.statistic == pytest.approx(hand, abs=1e-12)
    assert result.triggered
    assert result.details["posterior_a"] == 5
    assert result.details["posterior_b"] == 7
    assert "4 of 10" in result.explanation


def test_beta_binomial_does_not_trigger_below_boundary():
    # 1 of 10: posterior Beta(2, 10); P(p > 0.2) = P(Bin(11, 0.2) ≤ 1) = 0.3221 < 0.8.
    result = beta_binomial_rule(1, 10, threshold=0.2, cutoff=0.8)
    assert result.statistic == pytest.approx(_exceedance_by_hand(1, 10, 1, 1, 0.2), abs=1e-12)
    assert result.statistic == pytest.approx(0.322123, abs=1e-6)
    assert not result.triggered
    # The boundary at n = 10 is the first count whose hand-computed exceedance passes 0.8.
    first = next(k for k in range(11) if _exceedance_by_hand(k, 10, 1, 1, 0.2) > 0.8)
    assert result.details["min_events_to_trigger_at_n"] == first == 3


def test_beta_binomial_boundaries_agree_with_hand_sum():
    table = beta_binomial_boundaries(12, threshold=0.2, cutoff=0.8, prior_a=1, prior_b=1)
    for n, k in table:
        assert k is not None
        assert _exceedance_by_hand(k, n, 1, 1, 0.2) > 0.8
        if k > 0:
            assert _exceedance_by_hand(k - 1, n, 1, 1, 0.2) <= 0.8


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"threshold": 0.0, "cutoff": 0.8}, "unacceptable rate"),
        ({"threshold": 0.2, "cutoff": 1.0}, "cut-off"),
        ({"threshold": 0.2, "cutoff": 0.8, "prior_a": 0}, "prior"),
    ],
)
def test_beta_binomial_refuses_bad_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        beta_binomial_rule(1, 5, **kwargs)


def test_fixed_count_rule():
    below = fixed_count_rule(1, 8, max_events=2)
    assert not below.triggered
    assert below.details["events_remaining"] == 1
    reached = fixed_count_rule(2, 8, max_events=2)
    assert reached.triggered
    assert reached.as_row()["triggered"] is True
    with pytest.raises(ValueError, match="max_events"):
        fixed_count_rule(1, 8, max_events=0)


def test_person_years():
    assert person_years(730.5) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="non-negative"):
        person_years(-1)
