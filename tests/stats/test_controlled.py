"""Treated − concurrent control estimates and claims judged against the control arm.

Reference values
----------------
* ANCOVA: statsmodels OLS ``change ~ baseline + treated`` fitted here on the same rows (an
  independent fit of the same model), and the identity τ(change) = τ(follow-up).
* Risk difference: Newcombe RG, Stat Med 1998;17:873–890, Table II example (a), 56/70 vs
  48/80: 0.2000 (0.0524, 0.3339). Risk ratio: same counts, Katz log interval computed by hand
  (1.3333; exp(log RR ± 1.96·√(1/56 − 1/70 + 1/48 − 1/80))).
* Arm × phase mixed model: statsmodels ``MixedLM`` (``y ~ C(phase) * treated``, random
  intercept, REML) fitted here; and, for a complete balanced design, the difference of mean
  changes between arms (which the interaction coefficient equals exactly).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from neuroregen.stats.claims import (
    CLAIM_LARGER_IN_YOUNGER,
    CLAIM_MAJORITY_IMPROVE,
    Verdict,
)
from neuroregen.stats.claims_controlled import evaluate_claim_controlled
from neuroregen.stats.controlled import (
    ancova_change,
    arm_phase_mixed_model,
    responder_difference,
)
from neuroregen.stats.proportions import ResponderDefinition
from neuroregen.stats.results import Direction

CGI = ResponderDefinition.cgi_i()


def _arms(seed: int = 3, n: int = 30) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    treated = np.arange(n) % 2 == 0
    base = rng.normal(60, 10, n)
    follow = base - 3 - 5 * treated + 0.2 * (base - 60) + rng.normal(0, 4, n)
    return pd.DataFrame({"base": base, "follow": follow, "treated": treated})


def test_ancova_on_change_matches_statsmodels_ols_and_names_the_control_arm() -> None:
    df = _arms()
    est = ancova_change(
        df["base"],
        df["follow"],
        df["treated"],
        direction=Direction.HIGHER_IS_WORSE,
        label="ATEC total, late",
        control="vehicle-in",
    )
    ref = smf.ols(
        "change ~ base + t", data=df.assign(change=df.follow - df.base, t=df.treated.astype(float))
    ).fit()
    assert est.estimate == pytest.approx(ref.params["t"], rel=1e-10)
    low, high = ref.conf_int(alpha=0.05).loc["t"]
    assert (est.ci_low, est.ci_high) == pytest.approx((low, high), rel=1e-10)
    assert est.p_value == pytest.approx(ref.pvalues["t"], rel=1e-8)
    follow_ref = smf.ols("follow ~ base + t", data=df.assign(t=df.treated.astype(float))).fit()
    assert est.estimate == pytest.approx(follow_ref.params["t"], rel=1e-10)
    assert est.comparator == "concurrent control arm vehicle-in"
    assert (est.details["n_treated"], est.details["n_control"], est.n) == (15, 15, 30)
    assert "treated − control" in est.quantity
    assert est.details["improvement"] == pytest.approx(-est.estimate)


def test_responder_difference_reproduces_newcombe_example_and_katz_ratio() -> None:
    rd, rr = responder_difference(56, 70, 48, 80, definition="CGI-I ≤ 2", control="placebo")
    assert rd.estimate == pytest.approx(0.2)
    assert (rd.ci_low, rd.ci_high) == pytest.approx((0.0524, 0.3339), abs=5e-5)
    se = math.sqrt(1 / 56 - 1 / 70 + 1 / 48 - 1 / 80)
    assert rr.estimate == pytest.approx(4 / 3)
    assert rr.ci_low == pytest.approx(4 / 3 * math.exp(-1.959964 * se), rel=1e-6)
    assert rr.ci_high == pytest.approx(4 / 3 * math.exp(1.959964 * se), rel=1e-6)
    for est in (rd, rr):
        assert est.comparator == "concurrent control arm placebo"
        assert est.details["n_treated"] == 70
        assert est.details["n_control"] == 80


def _long(seed: int, missing: float) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(36):
        treated = i % 2 == 0
        child = rng.normal(0, 6)
        for k, phase in enumerate(("baseline", "early", "mid", "late")):
            if phase != "baseline" and rng.random() < missing:
                continue
            y = 60 + child - 1.5 * k - (2.0 * k if treated else 0.0) + rng.normal(0, 3)
            rows.append({"pid": f"C{i}", "phase": phase, "treated": treated, "y": y})
    return pd.DataFrame(rows)


def _model(df: pd.DataFrame):  # type: ignore[no-untyped-def]
    return arm_phase_mixed_model(
        df,
        participant="pid",
        phase="phase",
        score="y",
        treated="treated",
        phases=("baseline", "early", "mid", "late"),
        control="vehicle-in",
        direction=Direction.HIGHER_IS_WORSE,
        quantity="ATEC total",
    )


def test_arm_phase_mixed_model_matches_statsmodels_mixedlm() -> None:
    df = _long(5, missing=0.15)
    res = _model(df)
    ref = smf.mixedlm(
        "y ~ C(phase, levels=['baseline', 'early', 'mid', 'late']) * t",
        df.assign(t=df.treated.astype(float)),
        groups=df["pid"],
    ).fit(reml=True)
    inter = [k for k in ref.params.index if k.endswith(":t")]
    assert [d.details["phase"] for d in res.differences] == ["early", "mid", "late"]
    for d, key in zip(res.differences, inter, strict=True):
        assert d.estimate == pytest.approx(ref.params[key], abs=1e-4)
        assert d.details["se"] == pytest.approx(ref.bse[key], rel=1e-3)
        assert d.comparator == "concurrent control arm vehicle-in"
        assert d.n == 36  # children, not observations
        assert d.details["n_observations"] == len(df)
    assert res.n_treated == res.n_control == 18


def test_arm_phase_interaction_equals_difference_of_mean_changes_when_balanced() -> None:
    df = _long(8, missing=0.0)
    res = _model(df)
    wide = df.pivot_table(index=["pid", "treated"], columns="phase", values="y").reset_index()
    for d in res.differences:
        change = wide[d.details["phase"]] - wide["baseline"]
        expected = change[wide.treated].mean() - change[~wide.treated].mean()
        assert d.estimate == pytest.approx(expected, abs=1e-8)


def _cgi(responders: int, n: int) -> list[int]:
    return [2] * responders + [4] * (n - responders)


def test_claim_judged_against_control_not_benchmark() -> None:
    v = evaluate_claim_controlled(
        CLAIM_MAJORITY_IMPROVE,
        CGI,
        treated={"cgi_i": _cgi(140, 200)},
        control={"cgi_i": _cgi(40, 200)},
        control_arm="vehicle-in",
        synthetic=True,
        caregiver_rated=False,
    )
    assert v.verdict is Verdict.SUPPORTED
    assert v.controlled
    assert v.benchmark is None
    assert v.comparison is not None
    assert v.comparison.comparator == "concurrent control arm vehicle-in"
    assert v.comparison.estimate == pytest.approx(0.5)
    assert "vehicle-in" in v.headline
    # the same treated rate with a control arm doing as well is not supported
    same = evaluate_claim_controlled(
        CLAIM_MAJORITY_IMPROVE,
        CGI,
        treated={"cgi_i": _cgi(140, 200)},
        control={"cgi_i": _cgi(140, 200)},
        control_arm="vehicle-in",
        synthetic=True,
        caregiver_rated=False,
    )
    assert same.verdict is Verdict.INCONCLUSIVE
    assert any("cannot be distinguished from the concurrent control" in r for r in same.reasons)


def test_age_claim_with_control_compares_effects_between_age_groups() -> None:
    # younger: 80 % vs 20 % (effect 0.6); older: 40 % vs 30 % (effect 0.1)
    treated = {"cgi_i": _cgi(80, 100) + _cgi(40, 100), "ages": [40] * 100 + [120] * 100}
    control = {"cgi_i": _cgi(20, 100) + _cgi(30, 100), "ages": [40] * 100 + [120] * 100}
    v = evaluate_claim_controlled(
        CLAIM_LARGER_IN_YOUNGER,
        CGI,
        treated=treated,
        control=control,
        control_arm="vehicle-in",
        synthetic=False,
        caregiver_rated=False,
    )
    assert v.observed.estimate == pytest.approx(0.5)
    assert v.observed.ci_low > 0
    assert v.verdict is Verdict.SUPPORTED
    assert v.observed.details["effect_younger"] == pytest.approx(0.6)
