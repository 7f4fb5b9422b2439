"""The exact (Clopper–Pearson) interval of a single proportion."""

from __future__ import annotations

import functools

from scipy import stats

from neuroregen.stats._common import (
    check_confidence,
)

__all__ = [
    "clopper_pearson_interval",
]


def _check_count(x: int, n: int) -> tuple[int, int]:
    if int(x) != x or int(n) != n:
        raise ValueError("counts must be integers")
    if n < 1 or not 0 <= x <= n:
        raise ValueError(f"need 0 ≤ x ≤ n and n ≥ 1, got x={x}, n={n}")
    return int(x), int(n)


def clopper_pearson_interval(x: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Clopper–Pearson "exact" interval from beta quantiles.

    [Beta(α/2; x, n − x + 1), Beta(1 − α/2; x + 1, n − x)], with 0 and 1 at the edges
    (Newcombe 1998, method 5). Guaranteed coverage ≥ nominal, hence conservative.

    Examples
    --------
    >>> [round(v, 4) for v in clopper_pearson_interval(81, 263)]   # Newcombe (1998) ex. (a)
    [0.2527, 0.3676]
    """
    x, n = _check_count(x, n)
    return _clopper_pearson(x, n, 1.0 - check_confidence(confidence))


@functools.lru_cache(maxsize=4096)
def _clopper_pearson(x: int, n: int, alpha: float) -> tuple[float, float]:
    # tables by lot, dose and route ask for the same few (x, n) again and again
    low = 0.0 if x == 0 else float(stats.beta.ppf(alpha / 2.0, x, n - x + 1))
    high = 1.0 if x == n else float(stats.beta.ppf(1.0 - alpha / 2.0, x + 1, n - x))
    return low, high
