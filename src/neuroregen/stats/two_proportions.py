"""Comparisons of two proportions: differences, ratios, the number needed to treat and tests."""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from scipy import stats
from scipy.stats import contingency

from neuroregen.stats._common import (
    check_confidence,
    mover_difference,
    size_caveats,
    wilson_interval,
    z_quantile,
)
from neuroregen.stats.proportion_interval import _check_count
from neuroregen.stats.results import (
    Estimate,
    _fmt,
)
from neuroregen.stats.text import text

__all__ = [
    "NNTEstimate",
    "chi_square_test",
    "fisher_exact_test",
    "number_needed_to_treat",
    "odds_ratio",
    "risk_difference",
    "risk_ratio",
]


def _two_by_two(
    x1: int, n1: int, x2: int, n2: int, *, haldane: bool
) -> tuple[float, float, float, float, bool]:
    x1, n1 = _check_count(x1, n1)
    x2, n2 = _check_count(x2, n2)
    a, b, c, d = float(x1), float(n1 - x1), float(x2), float(n2 - x2)
    corrected = haldane and min(a, b, c, d) == 0.0
    if corrected:
        a, b, c, d = a + 0.5, b + 0.5, c + 0.5, d + 0.5
    return a, b, c, d, corrected


def risk_difference(
    x1: int,
    n1: int,
    x2: int,
    n2: int,
    *,
    confidence: float = 0.95,
    method: Literal["newcombe", "wald"] = "newcombe",
    label: str = "response",
    comparator: str = "control group",
) -> Estimate:
    """Risk difference p₁ − p₂ (group 1 − group 2) with Newcombe's hybrid score interval.

    Parameters
    ----------
    x1, n1, x2, n2 : int
        Events and sizes of group 1 (treated) and group 2 (comparison).
    confidence : float
        Confidence level.
    method : {"newcombe", "wald"}
        ``"newcombe"`` (default): method 10 of Newcombe (1998), combining the Wilson intervals
        (l_i, u_i) of each proportion: L = d − √((p₁ − l₁)² + (u₂ − p₂)²),
        U = d + √((u₁ − p₁)² + (p₂ − l₂)²). ``"wald"``: d ± z√(p₁q₁/n₁ + p₂q₂/n₂), shown only for
        comparison; it is degenerate at 0 or 1 and undercovers in small samples.
    label, comparator : str
        Words for the event and for group 2.

    Returns
    -------
    Estimate

    Notes
    -----
    Assumes two independent binomial samples. No missing-data handling: counts are given.

    References
    ----------
    Newcombe RG. Interval estimation for the difference between independent proportions:
    comparison of eleven methods. *Stat Med* 1998;17:873–890.

    Examples
    --------
    >>> est = risk_difference(56, 70, 48, 80)        # Newcombe (1998) example (a)
    >>> round(est.estimate, 4), round(est.ci_low, 4), round(est.ci_high, 4)
    (0.2, 0.0524, 0.3339)
    """
    x1, n1 = _check_count(x1, n1)
    x2, n2 = _check_count(x2, n2)
    conf = check_confidence(confidence)
    p1, p2 = x1 / n1, x2 / n2
    if method == "newcombe":
        low, high = mover_difference(
            p1, wilson_interval(x1, n1, conf), p2, wilson_interval(x2, n2, conf)
        )
        how = "Newcombe hybrid score interval (method 10)"
    elif method == "wald":
        z = z_quantile(conf)
        se = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
        low, high = p1 - p2 - z * se, p1 - p2 + z * se
        how = "Wald interval"
    else:
        raise ValueError(f"unknown method {method!r}")
    n = n1 + n2
    return Estimate(
        quantity=text("risk difference, {label} (group 1 − group 2)", label=label),
        estimate=p1 - p2,
        ci_low=low,
        ci_high=high,
        confidence=conf,
        n=n,
        method=f"difference of proportions; {how}",
        comparator=comparator,
        caveats=size_caveats(n),
        details={"p1": p1, "p2": p2, "x1": x1, "n1": n1, "x2": x2, "n2": n2},
    )


def _log_ratio(
    kind: Literal["risk", "odds"],
    x1: int,
    n1: int,
    x2: int,
    n2: int,
    confidence: float,
    label: str,
    comparator: str,
) -> Estimate:
    conf = check_confidence(confidence)
    a, b, c, d, corrected = _two_by_two(x1, n1, x2, n2, haldane=True)
    if kind == "risk":
        if a == 0.0 or c == 0.0:  # pragma: no cover - impossible after correction
            raise ValueError(text("risk ratio undefined"))
        ratio = (a / (a + b)) / (c / (c + d))
        se = math.sqrt(1 / a - 1 / (a + b) + 1 / c - 1 / (c + d))
        name, how = "risk ratio", "Katz log interval"
    else:
        ratio = (a * d) / (b * c)
        se = math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
        name, how = "odds ratio", "Woolf log interval"
    z = z_quantile(conf)
    low, high = ratio * math.exp(-z * se), ratio * math.exp(z * se)
    caveats = size_caveats(int(n1) + int(n2))
    if corrected:
        caveats = (
            *caveats,
            "a zero cell: 0.5 was added to every cell (Haldane–Anscombe) before estimating",
        )
    return Estimate(
        quantity=text("{name}, {label} (group 1 / group 2)", name=name, label=label),
        estimate=ratio,
        ci_low=low,
        ci_high=high,
        confidence=conf,
        n=int(n1) + int(n2),
        method=f"{name}; {how}" + ("; Haldane–Anscombe 0.5 correction" if corrected else ""),
        comparator=comparator,
        caveats=caveats,
        details={"log_estimate": math.log(ratio), "se_log": se, "haldane_corrected": corrected},
    )


def risk_ratio(
    x1: int,
    n1: int,
    x2: int,
    n2: int,
    *,
    confidence: float = 0.95,
    label: str = "response",
    comparator: str = "control group",
) -> Estimate:
    """Risk ratio p₁/p₂ with an interval on the log scale.

    Notes
    -----
    With cells a = x₁, b = n₁ − x₁, c = x₂, d = n₂ − x₂: log RR ± z·SE,
    SE = √(1/a − 1/(a+b) + 1/c − 1/(c+d)) (Katz et al. 1978). When any cell is zero, 0.5 is
    added to all four cells (Haldane 1956; Anscombe 1956) and a caveat says so.
    Assumes independent binomial samples.

    References
    ----------
    Katz D et al. Obtaining confidence intervals for the risk ratio in cohort studies.
    *Biometrics* 1978;34:469–474. Altman DG. *Practical Statistics for Medical Research*, 1991.

    Examples
    --------
    >>> est = risk_ratio(56, 70, 48, 80)
    >>> round(est.estimate, 3), round(est.ci_low, 3), round(est.ci_high, 3)
    (1.333, 1.077, 1.651)
    """
    return _log_ratio("risk", x1, n1, x2, n2, confidence, label, comparator)


def odds_ratio(
    x1: int,
    n1: int,
    x2: int,
    n2: int,
    *,
    confidence: float = 0.95,
    label: str = "response",
    comparator: str = "control group",
) -> Estimate:
    """Odds ratio (a·d)/(b·c) with Woolf's log-scale interval.

    Notes
    -----
    log OR ± z·√(1/a + 1/b + 1/c + 1/d) (Woolf 1955). Any zero cell: 0.5 added to all cells
    (Haldane–Anscombe), reported as a caveat. For small tables prefer the exact conditional
    interval of :func:`fisher_exact_test`.

    References
    ----------
    Woolf B. On estimating the relation between blood group and disease. *Ann Hum Genet*
    1955;19:251–253. Haldane JBS. *Ann Hum Genet* 1956;20:309–311.

    Examples
    --------
    >>> est = odds_ratio(3, 10, 0, 10)
    >>> round(est.estimate, 2), est.details["haldane_corrected"]
    (9.8, True)
    """
    return _log_ratio("odds", x1, n1, x2, n2, confidence, label, comparator)


class NNTEstimate(Estimate):
    """An NNT whose interval may pass through infinity (Altman 1998).

    ``estimate`` is signed: positive = NNTB (benefit), negative = NNTH (harm), ±∞ when the risk
    difference is 0. ``ci_low``/``ci_high`` are the reciprocals of the risk-difference limits;
    when ``details["crosses_zero"]`` is True the interval is the *outside* set
    (−∞, ci_low] ∪ [ci_high, ∞), written "NNTH a to ∞ to NNTB b".
    """

    def interval_text(self) -> str:
        level = round(self.confidence * 100)
        return f"{level}% CI {self.details['interval_words']}"

    def contains(self, value: float) -> bool:
        """Whether a (signed) NNT value lies in the confidence set."""
        if self.details["crosses_zero"]:
            return value <= self.ci_low or value >= self.ci_high
        return self.ci_low <= value <= self.ci_high


def _nnt_word(value: float) -> str:
    if math.isinf(value):
        return "∞"
    return f"NNTB {_fmt(value, 1)}" if value > 0 else f"NNTH {_fmt(-value, 1)}"


def number_needed_to_treat(
    x1: int,
    n1: int,
    x2: int,
    n2: int,
    *,
    outcome_is_benefit: bool = True,
    confidence: float = 0.95,
    label: str = "response",
    comparator: str = "control group",
) -> NNTEstimate:
    """Number needed to treat from two proportions, with Altman's NNTB/NNTH notation.

    Parameters
    ----------
    x1, n1, x2, n2 : int
        Events and sizes in the treated (1) and comparison (2) groups.
    outcome_is_benefit : bool
        True when the event is good (response); False for harms (adverse events).
    confidence : float
        Confidence level.
    label, comparator : str
        Words for the event and for group 2.

    Returns
    -------
    NNTEstimate

    Notes
    -----
    Let ARR = p₁ − p₂ for a beneficial event (p₂ − p₁ for a harmful one), with the Newcombe
    hybrid score interval (L, U) (Bender 2001). NNT = 1/ARR. If 0 < L: NNTB 1/U to 1/L. If
    U < 0: NNTH 1/|L| to 1/|U|. If L < 0 < U the set is "NNTH 1/|L| to ∞ to NNTB 1/U" — the
    data are compatible with benefit, no effect and harm (Altman 1998).

    References
    ----------
    Altman DG. Confidence intervals for the number needed to treat. *BMJ* 1998;317:1309–12.
    Bender R. Calculating confidence intervals for the number needed to treat. *Control Clin
    Trials* 2001;22:102–110.

    Examples
    --------
    >>> est = number_needed_to_treat(9, 10, 3, 10)
    >>> round(est.estimate, 2), est.details["interval_words"]
    (1.67, 'NNTB 1.2 to NNTB 5.9')
    >>> number_needed_to_treat(5, 20, 4, 20).details["interval_words"]
    'NNTH 4.8 to ∞ to NNTB 3.3'
    """
    rd = risk_difference(x1, n1, x2, n2, confidence=confidence, label=label, comparator=comparator)
    sign = 1.0 if outcome_is_benefit else -1.0
    arr = sign * rd.estimate
    lo, hi = sorted((sign * rd.ci_low, sign * rd.ci_high))

    def inv(v: float) -> float:
        return math.inf if v == 0.0 else 1.0 / v

    nnt = inv(arr)
    crosses = lo < 0.0 < hi
    if crosses:
        ci_low, ci_high = 1.0 / lo, 1.0 / hi
        words = f"{_nnt_word(ci_low)} to ∞ to {_nnt_word(ci_high)}"
    else:
        a, b = inv(hi), inv(lo)
        if hi == 0.0:
            a = -math.inf
        ci_low, ci_high = sorted((a, b))
        words = f"{_nnt_word(a)} to {_nnt_word(b)}"
    return NNTEstimate(
        quantity=text(
            "number needed to treat, {label} (positive = NNTB, negative = NNTH)", label=label
        ),
        estimate=nnt,
        ci_low=ci_low,
        ci_high=ci_high,
        confidence=rd.confidence,
        n=rd.n,
        method="1 / risk difference; Newcombe hybrid score limits inverted (Altman 1998)",
        comparator=comparator,
        caveats=rd.caveats,
        details={
            "absolute_risk_reduction": arr,
            "arr_ci_low": lo,
            "arr_ci_high": hi,
            "crosses_zero": crosses,
            "interval_words": words,
            "estimate_words": _nnt_word(nnt),
        },
    )


def fisher_exact_test(
    x1: int,
    n1: int,
    x2: int,
    n2: int,
    *,
    confidence: float = 0.95,
    label: str = "response",
    comparator: str = "control group",
) -> Estimate:
    """Fisher's exact test with the conditional maximum-likelihood odds ratio and exact interval.

    Notes
    -----
    p-value: two-sided Fisher exact test (:func:`scipy.stats.fisher_exact`, summing tables no
    more probable than the observed). Estimate: conditional MLE of the odds ratio with the
    exact conditional interval from the noncentral hypergeometric distribution
    (:func:`scipy.stats.contingency.odds_ratio`, ``kind="conditional"``), consistent with the
    test. Suitable for small samples and zero cells.

    References
    ----------
    Fisher RA. *Statistical Methods for Research Workers*, 1934. Agresti A. *Categorical Data
    Analysis*, 3rd ed., 2013, §3.5.

    Examples
    --------
    >>> est = fisher_exact_test(9, 10, 3, 10)
    >>> round(est.p_value, 4)
    0.0198
    """
    x1, n1 = _check_count(x1, n1)
    x2, n2 = _check_count(x2, n2)
    conf = check_confidence(confidence)
    table = np.array([[x1, n1 - x1], [x2, n2 - x2]])
    p = float(stats.fisher_exact(table, alternative="two-sided").pvalue)
    res = contingency.odds_ratio(table, kind="conditional")
    ci = res.confidence_interval(confidence_level=conf)
    return Estimate(
        quantity=text("odds ratio, {label} (group 1 / group 2; conditional MLE)", label=label),
        estimate=float(res.statistic),
        ci_low=float(ci.low),
        ci_high=float(ci.high),
        confidence=conf,
        n=n1 + n2,
        method="Fisher's exact test; exact conditional interval",
        comparator=comparator,
        caveats=size_caveats(n1 + n2),
        p_value=p,
        details={"table": table.tolist()},
    )


def chi_square_test(
    x1: int,
    n1: int,
    x2: int,
    n2: int,
    *,
    confidence: float = 0.95,
    yates: bool = True,
    label: str = "response",
    comparator: str = "control group",
) -> Estimate:
    """Pearson chi-square test of a 2 × 2 table, reported with the risk difference.

    Notes
    -----
    χ² = Σ(O − E)²/E on 1 df, with Yates's continuity correction by default
    (:func:`scipy.stats.chi2_contingency`). The estimate is p₁ − p₂ with the Newcombe interval.
    When any expected count is below 5 the approximation is unreliable and a caveat advises
    Fisher's exact test; when a margin is zero the test is undefined (p_value None).

    References
    ----------
    Altman DG. *Practical Statistics for Medical Research*, 1991, §10.7.

    Examples
    --------
    >>> est = chi_square_test(56, 70, 48, 80)
    >>> round(est.details["chi2"], 3), round(est.p_value, 4)
    (6.114, 0.0134)
    """
    rd = risk_difference(x1, n1, x2, n2, confidence=confidence, label=label, comparator=comparator)
    table = np.array([[x1, n1 - x1], [x2, n2 - x2]], dtype=float)
    extra: list[str] = []
    details: dict[str, Any] = dict(rd.details)
    p: float | None
    if table.sum(axis=0).min() == 0:
        p = None
        extra.append(
            "all participants fall in one outcome category: the chi-square test is undefined"
        )
        details.update({"chi2": math.nan, "dof": 1, "min_expected": 0.0})
    else:
        res = stats.chi2_contingency(table, correction=yates)
        p = float(res.pvalue)
        min_expected = float(np.min(res.expected_freq))
        details.update({"chi2": float(res.statistic), "dof": 1, "min_expected": min_expected})
        if min_expected < 5:
            extra.append("an expected count is below 5: prefer Fisher's exact test")
    return Estimate(
        quantity=rd.quantity,
        estimate=rd.estimate,
        ci_low=rd.ci_low,
        ci_high=rd.ci_high,
        confidence=rd.confidence,
        n=rd.n,
        method="Pearson chi-square test"
        + (" with Yates correction" if yates else "")
        + "; Newcombe interval for the difference",
        comparator=comparator,
        caveats=(*rd.caveats, *extra),
        p_value=p,
        details=details,
    )
