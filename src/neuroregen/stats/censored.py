"""Summaries of laboratory values with a lower limit of quantification (LLOQ).

Cytokines such as IL-6 and TNF-α are right-skewed and often reported "< LLOQ". How those
values enter a summary changes it, so the handling is a parameter and is written into every
result (``method`` and ``details["lloq_handling"]``):

* ``"half_lloq"`` — substitute LLOQ/2 (common, simple; biased when many values are below);
* ``"lloq_sqrt2"`` — substitute LLOQ/√2 (Hornung & Reed 1990; less biased for lognormal data);
* ``"exclude"`` — drop values below LLOQ (biased upwards; shown for sensitivity).

Summaries are on the log scale (geometric means, ratios of geometric means) because these
analytes are approximately lognormal. When more than :data:`MANY_BELOW` of the values are
below LLOQ a caveat says that substitution dominates the estimate.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import stats

from neuroregen.stats._common import (
    InsufficientDataError,
    as_float_array,
    check_confidence,
    size_caveats,
)
from neuroregen.stats.results import OWN_BASELINE, UNCONTROLLED, Estimate
from neuroregen.stats.text import text

__all__ = [
    "LLOQ_HANDLING",
    "MANY_BELOW",
    "geometric_mean_lloq",
    "geometric_mean_ratio_lloq",
    "substitute_below_lloq",
]

Handling = Literal["half_lloq", "lloq_sqrt2", "exclude"]
LLOQ_HANDLING: dict[str, str] = {
    "half_lloq": text("values below LLOQ replaced by LLOQ/2"),
    "lloq_sqrt2": text("values below LLOQ replaced by LLOQ/√2 (Hornung & Reed 1990)"),
    "exclude": text("values below LLOQ excluded (biased upwards; sensitivity analysis only)"),
}
#: Share of values below LLOQ above which the substitution dominates the summary.
MANY_BELOW = 0.25


def substitute_below_lloq(
    values: npt.ArrayLike,
    below_lloq: npt.ArrayLike,
    lloq: npt.ArrayLike,
    *,
    handling: Handling = "half_lloq",
) -> np.ndarray:
    """Values with the below-LLOQ entries replaced (or set to NaN for ``"exclude"``).

    Parameters
    ----------
    values : array_like
        Reported values (anything for below-LLOQ rows; they are replaced).
    below_lloq : array_like of bool
        True where the laboratory reported the value below the LLOQ.
    lloq : array_like
        LLOQ of each row (the assay's, in the same unit).
    handling : {"half_lloq", "lloq_sqrt2", "exclude"}

    Returns
    -------
    numpy.ndarray
        Float array; a below-LLOQ row without an LLOQ raises ``ValueError``.

    Examples
    --------
    >>> substitute_below_lloq([5.0, float("nan")], [False, True], [2.0, 2.0]).tolist()
    [5.0, 1.0]
    """
    if handling not in LLOQ_HANDLING:
        raise ValueError(f"unknown LLOQ handling {handling!r}")
    x = as_float_array(values, "values").copy()
    below = np.asarray(below_lloq, dtype=bool)
    limit = as_float_array(lloq, "lloq")
    if below.shape != x.shape or limit.shape != x.shape:
        raise ValueError("values, below_lloq and lloq differ in length")
    if np.any(below & np.isnan(limit)):
        raise ValueError(text("a value below LLOQ needs its LLOQ"))
    if handling == "half_lloq":
        x[below] = limit[below] / 2.0
    elif handling == "lloq_sqrt2":
        x[below] = limit[below] / math.sqrt(2.0)
    else:
        x[below] = math.nan
    return x


def _log_positive(x: np.ndarray) -> np.ndarray:
    if np.any(x[~np.isnan(x)] <= 0):
        raise ValueError(text("geometric summaries need positive values"))
    return np.log(x)


def geometric_mean_lloq(
    values: npt.ArrayLike,
    below_lloq: npt.ArrayLike,
    lloq: npt.ArrayLike,
    *,
    handling: Handling = "half_lloq",
    confidence: float = 0.95,
    label: str = "analyte",
    unit: str = "",
    caveats: tuple[str, ...] = (),
) -> Estimate:
    """Geometric mean with a t-interval on the log scale, LLOQ handling stated.

    Parameters
    ----------
    values, below_lloq, lloq : array_like
        As in :func:`substitute_below_lloq`.
    handling : {"half_lloq", "lloq_sqrt2", "exclude"}
    confidence : float
    label, unit : str
        Words for the quantity.
    caveats : tuple of str
        Extra caveats (e.g. SYNTHETIC).

    Returns
    -------
    Estimate
        GM = exp(ȳ), interval exp(ȳ ± t_{n−1} s_y/√n) with y = log x; ``details`` holds
        n_below_lloq, share_below_lloq, the handling in words and the geometric SD.

    Notes
    -----
    Assumes the values are lognormal. Missing (NaN, not below-LLOQ) values are dropped and
    counted in ``details["n_missing"]``.

    References
    ----------
    Hornung RW, Reed LD. Estimation of average concentration in the presence of nondetectable
    values. *Appl Occup Environ Hyg* 1990;5:46–51.

    Examples
    --------
    >>> est = geometric_mean_lloq([1.0, 10.0, 100.0], [False] * 3, [0.5] * 3, label="IL-6")
    >>> round(est.estimate, 6)
    10.0
    """
    conf = check_confidence(confidence)
    below = np.asarray(below_lloq, dtype=bool)
    raw_missing = int(np.sum(np.isnan(as_float_array(values, "values")) & ~below))
    x = substitute_below_lloq(values, below, lloq, handling=handling)
    keep = ~np.isnan(x)
    y = _log_positive(x[keep])
    n = int(y.size)
    if n < 2:
        raise InsufficientDataError(text("need at least 2 values, got {n}", n=n))
    mean, sd = float(np.mean(y)), float(np.std(y, ddof=1))
    half = float(stats.t.ppf(0.5 + conf / 2.0, n - 1)) * sd / math.sqrt(n)
    n_below = int(below.sum())
    share = n_below / max(int(below.size) - raw_missing, 1)
    extra = list(caveats)
    if share > MANY_BELOW:
        extra.append(
            text(
                "{share:.0%} of values are below LLOQ: the summary depends on how they are handled",
                share=share,
            )
        )
    return Estimate(
        quantity=f"geometric mean {label}" + (f" ({unit})" if unit else ""),
        estimate=math.exp(mean),
        ci_low=math.exp(mean - half),
        ci_high=math.exp(mean + half),
        confidence=conf,
        n=n,
        method=f"geometric mean; t-interval on log scale; {LLOQ_HANDLING[handling]}",
        comparator="none (level, not change)",
        caveats=tuple(dict.fromkeys((*size_caveats(n), *extra))),
        details={
            "n_below_lloq": n_below,
            "share_below_lloq": share,
            "lloq_handling": LLOQ_HANDLING[handling],
            "geometric_sd": math.exp(sd),
            "n_missing": raw_missing,
        },
    )


def geometric_mean_ratio_lloq(
    baseline: npt.ArrayLike,
    baseline_below: npt.ArrayLike,
    follow_up: npt.ArrayLike,
    follow_up_below: npt.ArrayLike,
    lloq: npt.ArrayLike,
    *,
    handling: Handling = "half_lloq",
    confidence: float = 0.95,
    label: str = "analyte",
    caveats: tuple[str, ...] = (),
) -> Estimate:
    """Paired ratio of geometric means follow-up / baseline, LLOQ handling stated.

    Parameters
    ----------
    baseline, follow_up : array_like
        Values of the same participants, aligned.
    baseline_below, follow_up_below : array_like of bool
        Below-LLOQ flags of each.
    lloq : array_like
        LLOQ per participant (same assay at both times assumed).
    handling : {"half_lloq", "lloq_sqrt2", "exclude"}
    confidence : float
    label : str
    caveats : tuple of str

    Returns
    -------
    Estimate
        GMR = exp(d̄), d = log(follow-up) − log(baseline), interval exp(d̄ ± t s_d/√n); a ratio
        below 1 means the level fell. Comparator: own baseline (UNCONTROLLED caveat).

    Notes
    -----
    Pairs with either value missing are dropped (``details["n_dropped_missing"]``). With both
    values below LLOQ the pair contributes a ratio of 1 under substitution.

    Examples
    --------
    >>> est = geometric_mean_ratio_lloq([4.0, 8.0, 2.0], [False] * 3, [2.0, 4.0, 1.0],
    ...                                 [False] * 3, [0.5] * 3, label="IL-6")
    >>> round(est.estimate, 6)
    0.5
    """
    conf = check_confidence(confidence)
    b = substitute_below_lloq(baseline, baseline_below, lloq, handling=handling)
    f = substitute_below_lloq(follow_up, follow_up_below, lloq, handling=handling)
    keep = ~(np.isnan(b) | np.isnan(f))
    d = _log_positive(f[keep]) - _log_positive(b[keep])
    n = int(d.size)
    if n < 2:
        raise InsufficientDataError(text("need at least 2 complete pairs, got {n}", n=n))
    mean, sd = float(np.mean(d)), float(np.std(d, ddof=1))
    if sd == 0.0:
        low = high = math.exp(mean)
        p = math.nan
    else:
        se = sd / math.sqrt(n)
        half = float(stats.t.ppf(0.5 + conf / 2.0, n - 1)) * se
        low, high = math.exp(mean - half), math.exp(mean + half)
        p = float(2.0 * stats.t.sf(abs(mean / se), n - 1))
    n_below = int(np.sum(np.asarray(baseline_below, bool) | np.asarray(follow_up_below, bool)))
    return Estimate(
        quantity=text("ratio of geometric means {label}, follow-up / baseline", label=label),
        estimate=math.exp(mean),
        ci_low=low,
        ci_high=high,
        confidence=conf,
        n=n,
        method=f"paired log-ratio; t-interval; {LLOQ_HANDLING[handling]}",
        comparator=OWN_BASELINE,
        caveats=tuple(dict.fromkeys((UNCONTROLLED, *size_caveats(n), *caveats))),
        p_value=p,
        details={
            "lloq_handling": LLOQ_HANDLING[handling],
            "n_pairs_with_value_below_lloq": n_below,
            "n_dropped_missing": int(keep.size - keep.sum()),
        },
    )
