"""Benchmarks, comparisons with them, and claim verdicts.

Sources of reference numbers
----------------------------
* SIAFIS: Siafis S et al. Mol Autism 2020;11:66, abstract — placebo: 19 % (95 % CI 16–22 %)
  at least much improved; SMC −0.36 [−0.46, −0.26] overall core, −0.32 [−0.39, −0.25]
  social communication, −0.23 [−0.32, −0.15] repetitive behaviour.
* QU: Qu J et al. Front Pediatr 2022;10:897398, abstract — CARS WMD −5.96 [−8.87, −3.06];
  CGI RR 1.01 [0.87, 1.18]; effective rate 62 % vs 60 %.
* SIKICH: Sikich L et al. N Engl J Med 2021 — ABC-mSW change −3.7 (oxytocin) vs −3.5 (placebo).
* HARSTAD: Harstad E et al. JAMA Pediatr 2023 — 79 of 213 no longer met ASD criteria.
* statsmodels ``proportion_confint(method="wilson")`` for observed intervals; MOVER and z-test
  expected values are computed here from their closed forms (Zou & Donner 2008).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from neuroregen.stats.claims import (
    CLAIM_LARGER_IN_YOUNGER,
    CLAIM_MAJORITY_IMPROVE,
    CLAIM_SUSTAINED_6_12_MONTHS,
    Claim,
    ClaimKind,
    Verdict,
    evaluate_claim,
)
from neuroregen.stats.comparators import (
    ALL_BENCHMARKS,
    NATURAL_HISTORY_NONPERSISTENT_ASD,
    NO_BENCHMARK_INTERVAL,
    OXYTOCIN_ABC_SW_CHANGE_DRUG,
    OXYTOCIN_ABC_SW_CHANGE_PLACEBO,
    PLACEBO_CGI_I_RESPONDERS,
    PLACEBO_SMC_CORE,
    PLACEBO_SMC_REPETITIVE,
    PLACEBO_SMC_SOCIAL_COMMUNICATION,
    REHAB_CARS_MEAN_DIFFERENCE,
    REHAB_CGI_EFFECTIVE_RATE_CONTROL,
    REHAB_CGI_EFFECTIVE_RR,
    Benchmark,
    BenchmarkKind,
    compare_change_with_benchmark,
    compare_rate_with_benchmark,
)
from neuroregen.stats.proportions import ResponderDefinition, responder_rate_from_counts
from neuroregen.stats.results import (
    AGE_CONFOUNDING,
    CAREGIVER_RATED,
    SMALL_N,
    SYNTHETIC,
    UNCONTROLLED,
    Direction,
    Estimate,
)
from neuroregen.stats.within import cohens_d_av

CGI = ResponderDefinition.cgi_i()
Z95 = stats.norm.ppf(0.975)


# ---------------------------------------------------------------- benchmark data
@pytest.mark.parametrize(
    ("bench", "value", "low", "high"),
    [
        (PLACEBO_CGI_I_RESPONDERS, 0.19, 0.16, 0.22),  # SIAFIS
        (PLACEBO_SMC_CORE, -0.36, -0.46, -0.26),  # SIAFIS
        (PLACEBO_SMC_SOCIAL_COMMUNICATION, -0.32, -0.39, -0.25),  # SIAFIS
        (PLACEBO_SMC_REPETITIVE, -0.23, -0.32, -0.15),  # SIAFIS
        (REHAB_CARS_MEAN_DIFFERENCE, -5.96, -8.87, -3.06),  # QU
        (REHAB_CGI_EFFECTIVE_RR, 1.01, 0.87, 1.18),  # QU
    ],
)
def test_benchmark_values_match_sources(
    bench: Benchmark, value: float, low: float, high: float
) -> None:
    assert (bench.value, bench.ci_low, bench.ci_high) == (value, low, high)


def test_sikich_and_harstad_values() -> None:
    assert OXYTOCIN_ABC_SW_CHANGE_DRUG.value == -3.7  # SIKICH
    assert OXYTOCIN_ABC_SW_CHANGE_PLACEBO.value == -3.5  # SIKICH
    assert NATURAL_HISTORY_NONPERSISTENT_ASD.value == pytest.approx(79 / 213)  # HARSTAD
    assert (
        NATURAL_HISTORY_NONPERSISTENT_ASD.ci_low,
        NATURAL_HISTORY_NONPERSISTENT_ASD.ci_high,
    ) == pytest.approx(proportion_confint(79, 213, method="wilson"), abs=1e-12)


def test_every_benchmark_is_frozen_cited_and_consistent() -> None:
    keys = [b.key for b in ALL_BENCHMARKS]
    assert len(keys) == len(set(keys))
    for b in ALL_BENCHMARKS:
        assert b.citation
        assert b.note
        assert b.population
        if b.has_interval:
            assert b.ci_low <= b.value <= b.ci_high
        if b.kind is BenchmarkKind.QUALITATIVE:
            assert math.isnan(b.value)
        assert b.key in str(b.as_row())
        assert b.citation in b.as_text()
    with pytest.raises(dataclasses.FrozenInstanceError):
        PLACEBO_CGI_I_RESPONDERS.value = 0.5  # type: ignore[misc]


# ---------------------------------------------------------------- rate comparison
def test_rate_comparison_matches_mover_and_score_test_closed_forms() -> None:
    rate = responder_rate_from_counts(12, 30, definition=CGI)
    cmp = compare_rate_with_benchmark(rate, PLACEBO_CGI_I_RESPONDERS)
    p, b = 12 / 30, 0.19
    lo, hi = proportion_confint(12, 30, method="wilson")
    assert cmp.estimate == pytest.approx(p - b)
    assert cmp.ci_low == pytest.approx(p - b - math.hypot(p - lo, 0.22 - b), abs=1e-12)
    assert cmp.ci_high == pytest.approx(p - b + math.hypot(hi - p, b - 0.16), abs=1e-12)
    se_b = (0.22 - 0.16) / (2 * Z95)
    z = (p - b) / math.sqrt(b * (1 - b) / 30 + se_b**2)
    assert cmp.p_value == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-10)
    assert UNCONTROLLED in cmp.caveats
    assert not any("definitions differ" in c for c in cmp.caveats)


def test_rate_comparison_rescales_benchmark_interval_to_our_level() -> None:
    rate = responder_rate_from_counts(12, 30, definition=CGI, confidence=0.90)
    cmp = compare_rate_with_benchmark(rate, PLACEBO_CGI_I_RESPONDERS)
    k = stats.norm.ppf(0.95) / Z95
    lo, _ = proportion_confint(12, 30, alpha=0.10, method="wilson")
    expected = 12 / 30 - 0.19 - math.hypot(12 / 30 - lo, k * 0.03)
    assert cmp.ci_low == pytest.approx(expected, abs=1e-12)


def test_rate_comparison_refuses_a_benchmark_with_another_definition() -> None:
    # "any ATEC decrease" (79 %) must not be set against CGI-I "much improved" placebo (19 %)
    anyd = ResponderDefinition.any_improvement("ATEC total", Direction.HIGHER_IS_WORSE)
    rate = responder_rate_from_counts(31, 39, definition=anyd)
    with pytest.raises(ValueError, match=r"^no matching benchmark for this definition"):
        compare_rate_with_benchmark(rate, PLACEBO_CGI_I_RESPONDERS)
    atec = ResponderDefinition.percent_improvement("ATEC total", Direction.HIGHER_IS_WORSE)
    rate = responder_rate_from_counts(20, 40, definition=atec)
    with pytest.raises(ValueError, match="no matching benchmark"):
        compare_rate_with_benchmark(rate, REHAB_CGI_EFFECTIVE_RATE_CONTROL)


def test_rate_comparison_flags_missing_benchmark_interval() -> None:
    theirs = REHAB_CGI_EFFECTIVE_RATE_CONTROL.responder_definition
    base = responder_rate_from_counts(20, 40, definition=CGI)
    rate = dataclasses.replace(base, details={**base.details, "definition": theirs})
    cmp2 = compare_rate_with_benchmark(rate, REHAB_CGI_EFFECTIVE_RATE_CONTROL)
    assert NO_BENCHMARK_INTERVAL in cmp2.caveats
    lo, hi = proportion_confint(20, 40, method="wilson")
    assert (cmp2.ci_low, cmp2.ci_high) == pytest.approx((lo - 0.6, hi - 0.6), abs=1e-12)
    with pytest.raises(ValueError, match="not a proportion"):
        compare_rate_with_benchmark(rate, PLACEBO_SMC_CORE)


# ---------------------------------------------------------------- change comparison
def test_change_comparison_orients_both_sides_as_improvement() -> None:
    rng = np.random.default_rng(3)
    base = rng.normal(60, 15, 40)
    follow = base - 9 + rng.normal(0, 8, 40)  # ATEC falls: improvement
    d_av = cohens_d_av(base, follow, direction=Direction.HIGHER_IS_WORSE, label="ATEC total")
    cmp = compare_change_with_benchmark(d_av, PLACEBO_SMC_CORE)
    obs_imp = -d_av.estimate
    assert cmp.estimate == pytest.approx(obs_imp - 0.36, abs=1e-12)
    lo_o, hi_o = -d_av.ci_high, -d_av.ci_low
    assert cmp.ci_low == pytest.approx(obs_imp - 0.36 - math.hypot(obs_imp - lo_o, 0.46 - 0.36))
    assert cmp.ci_high == pytest.approx(obs_imp - 0.36 + math.hypot(hi_o - obs_imp, 0.36 - 0.26))
    se = math.hypot((hi_o - lo_o) / (2 * Z95), (0.46 - 0.26) / (2 * Z95))
    assert cmp.p_value == pytest.approx(2 * stats.norm.sf(abs(cmp.estimate) / se), rel=1e-10)
    assert any("standardizers may differ" in c for c in cmp.caveats)


def test_change_comparison_for_higher_is_better_scale() -> None:
    obs = Estimate("d_av Vineland", 0.5, 0.2, 0.8, 0.95, 30, "d_av", "own baseline")
    cmp = compare_change_with_benchmark(obs, PLACEBO_SMC_CORE, direction=Direction.HIGHER_IS_BETTER)
    assert cmp.estimate == pytest.approx(0.5 - 0.36)
    with pytest.raises(ValueError, match="direction"):
        compare_change_with_benchmark(obs, PLACEBO_SMC_CORE)
    with pytest.raises(ValueError, match="not a change"):
        compare_change_with_benchmark(
            obs, PLACEBO_CGI_I_RESPONDERS, direction=Direction.HIGHER_IS_BETTER
        )


# ---------------------------------------------------------------- claims
def _cgi(responders: int, n: int) -> list[int]:
    return [2] * responders + [4] * (n - responders)


def test_clear_majority_is_supported_only_with_interval_and_benchmark() -> None:
    v = evaluate_claim(
        CLAIM_MAJORITY_IMPROVE, CGI, cgi_i=_cgi(700, 1000), synthetic=True, caregiver_rated=False
    )
    lo, hi = proportion_confint(700, 1000, method="wilson")
    assert (v.observed.ci_low, v.observed.ci_high) == pytest.approx((lo, hi), abs=1e-12)
    assert lo >= 0.60
    assert hi <= 0.80
    assert v.comparison is not None
    assert v.comparison.ci_low > 0
    assert v.verdict is Verdict.SUPPORTED
    assert SYNTHETIC in v.caveats
    assert UNCONTROLLED in v.caveats
    assert CGI.describe() in v.observed.quantity
    assert v.definition == CGI.describe()


def test_low_rate_is_not_supported_and_partial_interval_is_inconclusive() -> None:
    low = evaluate_claim(
        CLAIM_MAJORITY_IMPROVE, CGI, cgi_i=_cgi(20, 100), synthetic=False, caregiver_rated=False
    )
    assert low.observed.ci_high < 0.60
    assert low.verdict is Verdict.NOT_SUPPORTED
    mid = evaluate_claim(
        CLAIM_MAJORITY_IMPROVE, CGI, cgi_i=_cgi(13, 20), synthetic=False, caregiver_rated=True
    )
    assert mid.observed.estimate == pytest.approx(0.65)  # point estimate above 60 % ...
    assert mid.observed.ci_low < 0.60 < mid.observed.ci_high  # ... but not the interval
    assert mid.verdict is Verdict.INCONCLUSIVE
    assert CAREGIVER_RATED in mid.caveats
    assert SMALL_N in mid.caveats
    assert SYNTHETIC not in mid.caveats


def test_below_placebo_rate_is_not_supported() -> None:
    claim = Claim(
        "≥ 3 % improve", ClaimKind.RATE_AT_LEAST, lower=0.03, benchmark=PLACEBO_CGI_I_RESPONDERS
    )
    v = evaluate_claim(claim, CGI, cgi_i=_cgi(20, 300), synthetic=False, caregiver_rated=False)
    assert v.observed.ci_low >= 0.03  # the claim itself holds ...
    assert v.comparison is not None
    assert v.comparison.ci_high < 0
    assert v.verdict is Verdict.NOT_SUPPORTED


def test_claim_without_numeric_benchmark_is_never_supported() -> None:
    claim = dataclasses.replace(CLAIM_MAJORITY_IMPROVE, benchmark=None)
    v = evaluate_claim(claim, CGI, cgi_i=_cgi(700, 1000), synthetic=False, caregiver_rated=False)
    assert v.verdict is Verdict.INCONCLUSIVE
    assert v.comparison is None


def test_sustained_claim_uses_every_visit() -> None:
    visits = np.array([[2, 2], [2, 4], [2, np.nan], [4, np.nan], [1, 1]], dtype=float)
    v = evaluate_claim(
        CLAIM_SUSTAINED_6_12_MONTHS, CGI, cgi_i=visits, synthetic=True, caregiver_rated=False
    )
    # sustained: rows 0 and 4 respond at both visits; rows 1 and 3 fail a visit; row 2 missing
    assert v.observed.n == 4
    assert v.observed.estimate == pytest.approx(2 / 4)
    assert v.observed.details["n_not_evaluable"] == 1
    assert any("months 6–12" in c for c in v.caveats)


def test_sustained_range_claim_supported_and_exceeded() -> None:
    within = np.column_stack([_cgi(500, 1000), _cgi(500, 1000)])
    v = evaluate_claim(
        CLAIM_SUSTAINED_6_12_MONTHS, CGI, cgi_i=within, synthetic=True, caregiver_rated=False
    )
    assert 0.40 <= v.observed.ci_low
    assert v.observed.ci_high <= 0.60
    assert v.verdict is Verdict.SUPPORTED
    above = np.column_stack([_cgi(900, 1000), _cgi(900, 1000)])
    v2 = evaluate_claim(
        CLAIM_SUSTAINED_6_12_MONTHS, CGI, cgi_i=above, synthetic=True, caregiver_rated=False
    )
    assert v2.verdict is Verdict.NOT_SUPPORTED  # whole interval outside the claimed 40–60 %


def test_age_claim_is_never_supported_and_carries_confounding() -> None:
    ages = np.array([2.0] * 20 + [8.0] * 20)
    young_better = _cgi(18, 20) + _cgi(4, 20)
    v = evaluate_claim(
        CLAIM_LARGER_IN_YOUNGER,
        CGI,
        cgi_i=young_better,
        ages=ages,
        synthetic=True,
        caregiver_rated=True,
    )
    assert v.observed.estimate == pytest.approx(18 / 20 - 4 / 20)
    assert v.observed.ci_low > 0
    assert v.verdict is Verdict.INCONCLUSIVE
    assert AGE_CONFOUNDING in v.caveats
    assert not any("excluded" in c for c in v.caveats)
    ages_missing = ages.copy()
    ages_missing[0] = np.nan
    v3 = evaluate_claim(
        CLAIM_LARGER_IN_YOUNGER,
        CGI,
        cgi_i=young_better,
        ages=ages_missing,
        synthetic=True,
        caregiver_rated=True,
    )
    assert v3.observed.n == 39
    assert any(c.startswith("1 participant(s) without age") for c in v3.caveats)
    old_better = _cgi(3, 20) + _cgi(17, 20)
    v2 = evaluate_claim(
        CLAIM_LARGER_IN_YOUNGER,
        CGI,
        cgi_i=old_better,
        ages=ages,
        synthetic=True,
        caregiver_rated=True,
    )
    assert v2.verdict is Verdict.NOT_SUPPORTED
    with pytest.raises(ValueError, match="ages"):
        evaluate_claim(
            CLAIM_LARGER_IN_YOUNGER, CGI, cgi_i=young_better, synthetic=True, caregiver_rated=True
        )


def test_verdict_renders_with_interval_definition_and_escaping() -> None:
    claim = dataclasses.replace(CLAIM_MAJORITY_IMPROVE, text="<b>all</b> improve")
    v = evaluate_claim(claim, CGI, cgi_i=_cgi(13, 20), synthetic=True, caregiver_rated=False)
    text = v.as_text()
    assert "INCONCLUSIVE" in text
    assert "95% CI" in text
    assert CGI.describe() in text
    assert SYNTHETIC in text
    page = v.as_html()
    assert "<b>all</b>" not in page
    assert "&lt;b&gt;all&lt;/b&gt;" in page
    row = v.as_row()
    assert row["verdict"] == "inconclusive"
    assert row["observed_ci_low"] == v.observed.ci_low
    with pytest.raises(dataclasses.FrozenInstanceError):
        v.verdict = Verdict.SUPPORTED  # type: ignore[misc]


@settings(max_examples=80, deadline=None)
@given(n=st.integers(min_value=5, max_value=300), data=st.data())
def test_supported_requires_whole_interval_and_beating_benchmark(
    n: int, data: st.DataObject
) -> None:
    x = data.draw(st.integers(min_value=0, max_value=n))
    v = evaluate_claim(
        CLAIM_MAJORITY_IMPROVE, CGI, cgi_i=_cgi(x, n), synthetic=True, caregiver_rated=False
    )
    lo, hi = v.observed.ci_low, v.observed.ci_high
    assert lo <= v.observed.estimate <= hi
    if v.verdict is Verdict.SUPPORTED:
        assert lo >= 0.60
        assert hi <= 0.80
        assert v.comparison is not None
        assert v.comparison.ci_low > 0
    if hi < 0.60 or lo > 0.80:
        assert v.verdict is Verdict.NOT_SUPPORTED


# ---------------------------------------------------------------- issue 17, obs. 2 and 8
def test_range_claim_keeps_both_bounds() -> None:
    assert CLAIM_MAJORITY_IMPROVE.kind is ClaimKind.RATE_BETWEEN
    assert (CLAIM_MAJORITY_IMPROVE.lower, CLAIM_MAJORITY_IMPROVE.upper) == (0.60, 0.80)
    assert "60–80" in CLAIM_MAJORITY_IMPROVE.text
    # 93 % of 1000 improve: far above "60–80 %", so the claim as made is not what was seen
    v = evaluate_claim(
        CLAIM_MAJORITY_IMPROVE, CGI, cgi_i=_cgi(930, 1000), synthetic=False, caregiver_rated=False
    )
    assert v.verdict is Verdict.NOT_SUPPORTED
    assert v.as_row()["claim_upper"] == 0.80


def test_interval_wider_than_the_range_says_so() -> None:
    v = evaluate_claim(
        CLAIM_MAJORITY_IMPROVE, CGI, cgi_i=_cgi(9, 13), synthetic=False, caregiver_rated=False
    )
    assert v.verdict is Verdict.INCONCLUSIVE
    assert any("wider than the claimed range" in r for r in v.reasons)


def test_mismatched_benchmark_gives_no_verdict_against_it() -> None:
    anyd = ResponderDefinition.any_improvement("ATEC total", Direction.HIGHER_IS_WORSE)
    base = np.full(100, 60.0)
    follow = np.r_[np.full(79, 50.0), np.full(21, 65.0)]
    v = evaluate_claim(
        CLAIM_MAJORITY_IMPROVE,
        anyd,
        baseline=base,
        follow_up=follow,
        synthetic=False,
        caregiver_rated=True,
    )
    assert v.comparison is None
    assert v.benchmark is None
    assert v.verdict is Verdict.INCONCLUSIVE
    assert not any("exceeds the benchmark" in r for r in v.reasons)
    assert any(r.startswith("no matching benchmark for this definition") for r in v.reasons)


def test_supported_verdict_sentence_says_uncontrolled_data_cannot_show_efficacy() -> None:
    v = evaluate_claim(
        CLAIM_MAJORITY_IMPROVE, CGI, cgi_i=_cgi(700, 1000), synthetic=False, caregiver_rated=False
    )
    assert v.verdict is Verdict.SUPPORTED
    assert "cannot show" in v.headline
    assert "uncontrolled" in v.headline
    assert v.headline in v.as_text()
    assert v.as_row()["headline"] == v.headline
