"""Reliable change against the Jacobson–Truax closed form.

Source of reference numbers
---------------------------
* JT91: Jacobson NS, Truax P. J Consult Clin Psychol 1991;59:12–19 — SEM = SD·√(1 − r),
  S_diff = √(2·SEM²), RC = (x₂ − x₁)/S_diff, |RC| > 1.96 reliable. Every expected number below
  is computed from these formulas in the test itself (tolerance 1e-12, floating point only).
* DOMAIN.md §3: ATEC r = 0.94 (split-half, provisional); Vineland composite r = 0.83;
  CSHQ 0.62–0.79.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neuroregen.stats.reliable_change import (
    PUBLISHED_RELIABILITY,
    MeasureReliability,
    reliable_change,
    reliable_change_by_measure,
)
from neuroregen.stats.results import PROVISIONAL_RELIABILITY, Direction

DOWN = Direction.HIGHER_IS_WORSE
UP = Direction.HIGHER_IS_BETTER


def _jt(x1: np.ndarray, x2: np.ndarray, sd: float, r: float) -> np.ndarray:
    sem = sd * math.sqrt(1 - r)
    s_diff = math.sqrt(2 * sem**2)  # JT91
    return (x2 - x1) / s_diff


def test_rc_matches_jacobson_truax_closed_form() -> None:
    x1 = np.array([80.0, 60.0, 75.0, 50.0])
    x2 = np.array([60.0, 58.0, 85.0, 36.0])
    res = reliable_change(x1, x2, reliability=0.94, sd=20.0, direction=DOWN)
    assert res.sem == pytest.approx(20.0 * math.sqrt(0.06), rel=1e-12)
    assert res.s_diff == pytest.approx(math.sqrt(2) * res.sem, rel=1e-12)
    np.testing.assert_allclose(res.rc, _jt(x1, x2, 20.0, 0.94), rtol=1e-12)
    expected = [
        "improved" if -v > 1.96 else "worsened" if -v < -1.96 else "unchanged"
        for v in _jt(x1, x2, 20.0, 0.94)
    ]
    assert list(res.category) == expected
    assert res.sd == 20.0
    assert res.reliability == 0.94
    assert res.sd_source == "supplied"


def test_direction_decides_improved_vs_worsened() -> None:
    x1, x2 = [100.0, 100.0], [130.0, 70.0]
    up = reliable_change(x1, x2, reliability=0.83, sd=15.0, direction=UP)
    down = reliable_change(x1, x2, reliability=0.83, sd=15.0, direction=DOWN)
    assert up.category == ("improved", "worsened")
    assert down.category == ("worsened", "improved")


def test_threshold_is_strict() -> None:
    s_diff = math.sqrt(2) * 10.0 * math.sqrt(1 - 0.8)
    res = reliable_change(
        [0.0, 0.0], [1.96 * s_diff, 1.9600001 * s_diff], reliability=0.8, sd=10.0, direction=UP
    )
    assert res.category == ("unchanged", "improved")


def test_provisional_flag_and_caveat() -> None:
    prov = reliable_change([1.0, 2.0], [3.0, 4.0], reliability=0.9, sd=5.0, direction=UP)
    assert prov.provisional
    assert prov.caveats == (PROVISIONAL_RELIABILITY,)
    assert "provisional" in prov.as_text()
    pub = reliable_change(
        [1.0, 2.0], [3.0, 4.0], reliability=0.9, sd=5.0, direction=UP, provisional=False
    )
    assert not pub.provisional
    assert pub.caveats == ()
    row = prov.as_row()
    assert row["reliability"] == 0.9
    assert row["sd"] == 5.0
    assert row["provisional"] is True
    assert "&lt;" not in prov.as_html()
    assert "nr-reliable-change" in prov.as_html()


def test_sample_baseline_sd_is_used_when_none_given() -> None:
    x1 = np.array([40.0, 55.0, np.nan, 70.0, 62.0])
    x2 = np.array([30.0, 50.0, 45.0, np.nan, 40.0])
    res = reliable_change(x1, x2, reliability=0.94, direction=DOWN)
    sd = float(np.std(x1[~np.isnan(x1)], ddof=1))
    assert res.sd == pytest.approx(sd, rel=1e-12)
    assert res.sd_source == "sample baseline SD"
    assert res.category[2] == "missing"
    assert res.category[3] == "missing"
    assert res.counts()["missing"] == 2
    assert res.n_classified == 3


def test_invalid_inputs() -> None:
    with pytest.raises(ValueError, match="reliability"):
        reliable_change([1.0], [2.0], reliability=1.0, sd=1.0, direction=UP)
    with pytest.raises(ValueError, match="SD"):
        reliable_change([1.0], [2.0], reliability=0.9, direction=UP)
    with pytest.raises(ValueError, match="reliability"):
        MeasureReliability("x", 0.0, UP)


def test_by_measure_over_long_frame() -> None:
    df = pd.DataFrame(
        {
            "participant": ["a", "b", "c", "a", "b", "c"],
            "measure": ["ATEC total"] * 3 + ["Vineland composite"] * 3,
            "baseline": [80, 60, 70, 70, 75, 80],
            "follow_up": [60, 58, 90, 90, 74, np.nan],
        }
    )
    specs = {m: PUBLISHED_RELIABILITY[m] for m in ("ATEC total", "Vineland composite")}
    out = reliable_change_by_measure(df, specs)
    atec, vin = out["ATEC total"], out["Vineland composite"]
    assert atec.provisional
    assert not vin.provisional
    assert vin.sd == 15.0
    assert vin.reliability == 0.83
    np.testing.assert_allclose(
        vin.rc[:2], _jt(np.array([70.0, 75.0]), np.array([90.0, 74.0]), 15.0, 0.83)
    )
    assert vin.category == ("improved", "unchanged", "missing")
    assert atec.participants == ("a", "b", "c")
    frame = atec.to_frame()
    assert list(frame["category"]) == list(atec.category)
    with pytest.raises(KeyError, match="no reliability"):
        reliable_change_by_measure(df, {"ATEC total": specs["ATEC total"]})


@settings(max_examples=60, deadline=None)
@given(
    data=st.lists(st.tuples(st.integers(0, 179), st.integers(0, 179)), min_size=1, max_size=40),
    seed=st.integers(0, 2**32 - 1),
)
def test_counts_are_order_invariant_and_direction_swaps_them(
    data: list[tuple[int, int]], seed: int
) -> None:
    x1 = np.array([a for a, _ in data], dtype=float)
    x2 = np.array([b for _, b in data], dtype=float)
    res = reliable_change(x1, x2, reliability=0.9, sd=20.0, direction=DOWN)
    order = np.random.default_rng(seed).permutation(x1.size)
    shuffled = reliable_change(x1[order], x2[order], reliability=0.9, sd=20.0, direction=DOWN)
    assert shuffled.counts() == res.counts()
    flipped = reliable_change(x1, x2, reliability=0.9, sd=20.0, direction=UP).counts()
    assert flipped["improved"] == res.counts()["worsened"]
    assert flipped["worsened"] == res.counts()["improved"]
    assert sum(res.counts().values()) == x1.size
