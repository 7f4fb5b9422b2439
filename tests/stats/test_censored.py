"""Tests for neuroregen.stats.censored (below-LLOQ summaries).

Reference values: the geometric mean and its interval are computed independently with
scipy.stats.gmean and scipy.stats.t on log values (the textbook definition), and exact
hand values where the data make them obvious (GM of 1, 10, 100 is 10).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from neuroregen.stats.censored import (
    LLOQ_HANDLING,
    geometric_mean_lloq,
    geometric_mean_ratio_lloq,
    substitute_below_lloq,
)
from neuroregen.stats.results import SYNTHETIC, UNCONTROLLED

VALUES = np.array([3.2, 5.1, np.nan, 2.4, 8.8, np.nan, 4.0, 1.9])
BELOW = np.array([False, False, True, False, False, True, False, False])
LLOQ = np.full(8, 1.5)


def test_substitution_rules() -> None:
    half = substitute_below_lloq(VALUES, BELOW, LLOQ, handling="half_lloq")
    root2 = substitute_below_lloq(VALUES, BELOW, LLOQ, handling="lloq_sqrt2")
    excl = substitute_below_lloq(VALUES, BELOW, LLOQ, handling="exclude")
    assert half[2] == 0.75
    assert root2[5] == pytest.approx(1.5 / math.sqrt(2))
    assert np.isnan(excl[2])
    assert excl[0] == 3.2


def test_geometric_mean_matches_scipy_reference() -> None:
    est = geometric_mean_lloq(VALUES, BELOW, LLOQ, label="IL-6", unit="pg/mL")
    x = np.where(BELOW, 0.75, VALUES)
    logs = np.log(x)
    half = stats.t.ppf(0.975, 7) * logs.std(ddof=1) / math.sqrt(8)
    assert est.estimate == pytest.approx(stats.gmean(x), rel=1e-12)
    assert est.ci_low == pytest.approx(math.exp(logs.mean() - half), rel=1e-12)
    assert est.ci_high == pytest.approx(math.exp(logs.mean() + half), rel=1e-12)
    assert est.n == 8
    assert est.details["n_below_lloq"] == 2
    assert est.details["lloq_handling"] == LLOQ_HANDLING["half_lloq"]
    assert "LLOQ/2" in est.method


def test_exclusion_drops_below_lloq_and_says_so() -> None:
    est = geometric_mean_lloq(VALUES, BELOW, LLOQ, handling="exclude")
    assert est.n == 6
    assert est.estimate == pytest.approx(stats.gmean(VALUES[~BELOW]), rel=1e-12)
    assert "excluded" in est.method


def test_many_below_lloq_gets_caveat() -> None:
    below = np.array([True, True, True, False, False])
    est = geometric_mean_lloq([0, 0, 0, 4.0, 5.0], below, [1.0] * 5, caveats=(SYNTHETIC,))
    assert any("60% of values are below LLOQ" in c for c in est.caveats)
    assert SYNTHETIC in est.caveats


def test_hand_value() -> None:
    assert geometric_mean_lloq([1, 10, 100], [False] * 3, [0.1] * 3).estimate == pytest.approx(10)


def test_ratio_matches_paired_log_t() -> None:
    rng = np.random.default_rng(4)
    base = rng.lognormal(1.0, 0.5, 30)
    follow = base * rng.lognormal(-0.4, 0.3, 30)
    est = geometric_mean_ratio_lloq(
        base, np.zeros(30, bool), follow, np.zeros(30, bool), np.full(30, 0.1), label="IL-6"
    )
    d = np.log(follow) - np.log(base)
    ref = stats.ttest_1samp(d, 0.0)
    half = stats.t.ppf(0.975, 29) * d.std(ddof=1) / math.sqrt(30)
    assert est.estimate == pytest.approx(math.exp(d.mean()), rel=1e-12)
    assert est.ci_low == pytest.approx(math.exp(d.mean() - half), rel=1e-12)
    assert est.p_value == pytest.approx(ref.pvalue, rel=1e-10)
    assert UNCONTROLLED in est.caveats


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="needs its LLOQ"):
        substitute_below_lloq([1.0], [True], [math.nan])
    with pytest.raises(ValueError, match="unknown LLOQ handling"):
        substitute_below_lloq([1.0], [False], [1.0], handling="zero")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="positive"):
        geometric_mean_lloq([0.0, 1.0], [False, False], [0.5, 0.5])
