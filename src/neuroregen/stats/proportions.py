"""Responder rates and comparisons of two proportions.

A responder rate means nothing without its definition — CGI-I ≤ 2, ≥ 25 % reduction, reliable
change and "any decrease" give very different rates from the same children — so a
:class:`ResponderDefinition` travels with every rate: its text is part of the quantity and is
stored in ``details["definition"]``.

Missing data: participants whose responder status cannot be determined (a score missing, or a
percentage undefined because the baseline sits on the scale floor) are *not evaluable*. They
are excluded from the rate and counted in ``details["n_not_evaluable"]``; the rate with them
counted as non-responders (worst case) is reported beside it.
"""

from __future__ import annotations

import enum
import functools
import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from scipy import stats
from scipy.stats import contingency

from neuroregen.stats._common import (
    FloatArray,
    as_float_array,
    check_confidence,
    mover_difference,
    size_caveats,
    wilson_interval,
    z_quantile,
)
from neuroregen.stats.reliable_change import reliable_change
from neuroregen.stats.results import (
    OWN_BASELINE,
    PROVISIONAL_RELIABILITY,
    UNCONTROLLED,
    Direction,
    Estimate,
    _fmt,
)
from neuroregen.stats.text import Text, template, text

__all__ = [
    "NNTEstimate",
    "ResponderDefinition",
    "ResponderKind",
    "chi_square_test",
    "clopper_pearson_interval",
    "fisher_exact_test",
    "number_needed_to_treat",
    "odds_ratio",
    "responder_rate",
    "responder_rate_from_counts",
    "risk_difference",
    "risk_ratio",
    "wilson_interval",
]


class ResponderKind(enum.Enum):
    """How a responder is defined."""

    CGI_I = "cgi_i"
    PERCENT_IMPROVEMENT = "percent_improvement"
    RELIABLE_CHANGE = "reliable_change"
    ANY_IMPROVEMENT = "any_improvement"


# Whole sentences, chosen by (has a floor, lower is better) / provisional / lower is better,
# so each language words them freely.
_PERCENT_IMPROVEMENT = {
    (False, True): template(
        "≥ {threshold:.0%} improvement from baseline on {instrument} (a reduction; {better})"
    ),
    (False, False): template(
        "≥ {threshold:.0%} improvement from baseline on {instrument} (an increase; {better})"
    ),
    (True, True): template(
        "≥ {threshold:.0%} improvement from baseline on {instrument} relative to floor "
        "{floor:g} (a reduction; {better})"
    ),
    (True, False): template(
        "≥ {threshold:.0%} improvement from baseline on {instrument} relative to floor "
        "{floor:g} (an increase; {better})"
    ),
}
_RELIABLE_IMPROVEMENT = {
    False: template(
        "reliable improvement on {instrument} (Jacobson–Truax |RC| > 1.96, r = {r:g}, {sd}; "
        "{better})"
    ),
    True: template(
        "reliable improvement on {instrument} (Jacobson–Truax |RC| > 1.96, r = {r:g}, "
        "provisional, {sd}; {better})"
    ),
}
_ANY_IMPROVEMENT = {
    True: template("any improvement on {instrument} (any decrease; {better})"),
    False: template("any improvement on {instrument} (any increase; {better})"),
}


@dataclass(frozen=True)
class ResponderDefinition:
    """A stated, reproducible rule that classifies each participant as responder or not.

    Build one with the class methods :meth:`cgi_i`, :meth:`percent_improvement`,
    :meth:`reliable_improvement` or :meth:`any_improvement`; read it with :meth:`describe`;
    classify with :meth:`apply`.

    Attributes
    ----------
    kind : ResponderKind
        The family of rule.
    instrument : str
        Instrument the rule is applied to.
    direction : Direction or None
        Which way is better (None for CGI-I, which is already a rating of improvement).
    threshold : float
        CGI-I maximum score, or minimum fraction of improvement.
    floor : float
        Score meaning "no symptoms" (percent improvement is relative to the distance from it).
    reliability, sd : float or None
        For reliable change: r and the SD (None = sample baseline SD).
    provisional : bool
        For reliable change: whether r is provisional.
    """

    kind: ResponderKind
    instrument: str
    direction: Direction | None = None
    threshold: float = 0.0
    floor: float = 0.0
    reliability: float | None = None
    sd: float | None = None
    provisional: bool = True

    @classmethod
    def cgi_i(cls, max_score: int = 2) -> ResponderDefinition:
        """Responder when CGI-I ≤ ``max_score`` (2 = much or very much improved)."""
        if max_score not in range(1, 8):
            raise ValueError("CGI-I threshold must be an integer 1..7")
        return cls(ResponderKind.CGI_I, "CGI-I", None, float(max_score))

    @classmethod
    def percent_improvement(
        cls, instrument: str, direction: Direction, fraction: float = 0.25, floor: float = 0.0
    ) -> ResponderDefinition:
        """Responder when the score improves by at least ``fraction`` of (baseline − floor)."""
        if not 0.0 < fraction <= 1.0:
            raise ValueError("fraction must lie in (0, 1]")
        return cls(ResponderKind.PERCENT_IMPROVEMENT, instrument, direction, fraction, floor)

    @classmethod
    def reliable_improvement(
        cls,
        instrument: str,
        direction: Direction,
        reliability: float,
        sd: float | None = None,
        provisional: bool = True,
    ) -> ResponderDefinition:
        """Responder when the Jacobson–Truax RC shows reliable improvement (|RC| > 1.96)."""
        if not 0.0 < reliability < 1.0:
            raise ValueError("reliability must lie in (0, 1)")
        return cls(
            ResponderKind.RELIABLE_CHANGE,
            instrument,
            direction,
            1.96,
            reliability=reliability,
            sd=sd,
            provisional=provisional,
        )

    @classmethod
    def any_improvement(cls, instrument: str, direction: Direction) -> ResponderDefinition:
        """Responder on any change in the better direction (e.g. "any decrease" on ATEC)."""
        return cls(ResponderKind.ANY_IMPROVEMENT, instrument, direction)

    def _better(self) -> str:
        if self.direction is None:
            return ""
        return text(
            "lower is better" if self.direction is Direction.HIGHER_IS_WORSE else "higher is better"
        )

    def describe(self) -> str:
        """The definition in words, shown next to every rate.

        Examples
        --------
        >>> ResponderDefinition.cgi_i().describe()
        'CGI-I ≤ 2 (much or very much improved)'
        >>> ResponderDefinition.percent_improvement("ATEC total", Direction.HIGHER_IS_WORSE
        ...     ).describe()
        '≥ 25% improvement from baseline on ATEC total (a reduction; lower is better)'
        """
        if self.kind is ResponderKind.CGI_I:
            words = {
                1: template("very much improved"),
                2: template("much or very much improved"),
                3: template("at least minimally improved"),
            }
            k = int(self.threshold)
            extra = text(words.get(k, template("rated ≤ this")))
            return text("CGI-I ≤ {k} ({extra})", k=k, extra=extra)
        better = self._better()
        reduction = self.direction is Direction.HIGHER_IS_WORSE
        if self.kind is ResponderKind.PERCENT_IMPROVEMENT:
            # whole sentences per direction and floor, so each language words them freely
            params = {"threshold": self.threshold, "instrument": self.instrument, "better": better}
            if self.floor:
                params["floor"] = self.floor
            return Text(_PERCENT_IMPROVEMENT[bool(self.floor), reduction], params)
        if self.kind is ResponderKind.RELIABLE_CHANGE:
            sd = (
                text("SD {sd:g}", sd=self.sd)
                if self.sd is not None
                else text("SD = sample baseline SD")
            )
            params = {"instrument": self.instrument, "r": self.reliability, "sd": sd}
            return Text(_RELIABLE_IMPROVEMENT[self.provisional], {**params, "better": better})
        return Text(_ANY_IMPROVEMENT[reduction], {"instrument": self.instrument, "better": better})

    def caveats(self) -> tuple[str, ...]:
        """Caveats the definition itself brings (provisional reliability)."""
        if self.kind is ResponderKind.RELIABLE_CHANGE and self.provisional:
            return (PROVISIONAL_RELIABILITY,)
        return ()

    def apply(
        self,
        *,
        baseline: npt.ArrayLike | None = None,
        follow_up: npt.ArrayLike | None = None,
        cgi_i: npt.ArrayLike | None = None,
    ) -> FloatArray:
        """Classify participants: 1.0 responder, 0.0 non-responder, NaN not evaluable.

        Parameters
        ----------
        baseline, follow_up : array_like, optional
            Scores for score-based definitions.
        cgi_i : array_like, optional
            CGI-I ratings 1..7 for the CGI-I definition.

        Returns
        -------
        numpy.ndarray
            One value per participant.

        Examples
        --------
        >>> d = ResponderDefinition.percent_improvement("ATEC total", Direction.HIGHER_IS_WORSE)
        >>> d.apply(baseline=[80, 40, 0, 50], follow_up=[56, 35, 0, float("nan")]).tolist()
        [1.0, 0.0, nan, nan]
        >>> ResponderDefinition.cgi_i().apply(cgi_i=[1, 2, 3, 4]).tolist()
        [1.0, 1.0, 0.0, 0.0]
        """
        if self.kind is ResponderKind.CGI_I:
            if cgi_i is None:
                raise ValueError("the CGI-I definition needs cgi_i ratings")
            r = as_float_array(cgi_i, "cgi_i")
            seen = r[~np.isnan(r)]
            if np.any((seen < 1) | (seen > 7) | (seen != np.round(seen))):
                raise ValueError("CGI-I ratings must be integers 1..7")
            out = np.where(np.isnan(r), np.nan, (r <= self.threshold).astype(float))
            return np.asarray(out, dtype=float)
        if baseline is None or follow_up is None or self.direction is None:
            raise ValueError(f"the {self.kind.value} definition needs baseline and follow_up")
        x1 = as_float_array(baseline, "baseline")
        x2 = as_float_array(follow_up, "follow_up")
        if x1.shape != x2.shape:
            raise ValueError("baseline and follow_up differ in length")
        missing = np.isnan(x1) | np.isnan(x2)
        gain = self.direction.sign * (x2 - x1)
        if self.kind is ResponderKind.ANY_IMPROVEMENT:
            out = np.where(missing, np.nan, (gain > 0).astype(float))
        elif self.kind is ResponderKind.PERCENT_IMPROVEMENT:
            room = np.abs(x1 - self.floor)
            undefined = missing | (room == 0)
            safe_room = np.where(undefined, 1.0, room)
            frac = np.where(undefined, 0.0, gain) / safe_room
            out = np.where(undefined, np.nan, (frac >= self.threshold - 1e-12).astype(float))
        else:
            if self.reliability is None:
                raise ValueError("the reliable-change definition needs a reliability")
            res = reliable_change(
                x1,
                x2,
                reliability=self.reliability,
                direction=self.direction,
                sd=self.sd,
                provisional=self.provisional,
                measure=self.instrument,
                critical=self.threshold,
            )
            cat = np.asarray(res.category)
            out = np.where(cat == "missing", np.nan, (cat == "improved").astype(float))
        return np.asarray(out, dtype=float)


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


def responder_rate_from_counts(
    responders: int,
    n: int,
    *,
    definition: ResponderDefinition,
    confidence: float = 0.95,
    comparator: str = OWN_BASELINE,
    n_not_evaluable: int = 0,
    caveats: tuple[str, ...] = (),
) -> Estimate:
    """Responder rate x/n with its Wilson interval and the definition beside it.

    Parameters
    ----------
    responders, n : int
        Responders and evaluable participants.
    definition : ResponderDefinition
        The rule that produced the counts; its text goes into the quantity and details.
    confidence : float
        Confidence level.
    comparator : str
        What the rate is relative to (default: own baseline, no control group).
    n_not_evaluable : int
        Participants who could not be classified (reported; worst case given).
    caveats : tuple of str
        Extra caveats (e.g. CAREGIVER_RATED, SYNTHETIC).

    Returns
    -------
    Estimate
        Rate with the Wilson (score) interval; ``details`` holds the Clopper–Pearson
        interval, the counts, the definition and the worst-case rate.

    Notes
    -----
    Wilson: (p̂ + z²/2n ± z√(p̂q̂/n + z²/4n²))/(1 + z²/n) — recommended by Newcombe (1998)
    for its near-nominal coverage; Clopper–Pearson is given for a conservative check.
    Assumes independent participants with a common response probability.

    References
    ----------
    Newcombe RG. Two-sided confidence intervals for the single proportion: comparison of
    seven methods. *Stat Med* 1998;17:857–872.

    Examples
    --------
    >>> est = responder_rate_from_counts(15, 148, definition=ResponderDefinition.cgi_i())
    >>> round(est.ci_low, 4), round(est.ci_high, 4)     # Newcombe (1998) example (b)
    (0.0624, 0.1605)
    >>> est.details["definition"]
    'CGI-I ≤ 2 (much or very much improved)'
    """
    x, n = _check_count(responders, n)
    conf = check_confidence(confidence)
    low, high = wilson_interval(x, n, conf)
    cp_low, cp_high = clopper_pearson_interval(x, n, conf)
    total = n + int(n_not_evaluable)
    worst = x / total
    described = definition.describe()
    extra: tuple[str, ...] = ()
    if n_not_evaluable:
        extra = (
            text(
                "{n} participant(s) could not be classified and are excluded; counting them as "
                "non-responders gives {worst:.0%}",
                n=n_not_evaluable,
                worst=worst,
            ),
        )
    uncontrolled = (UNCONTROLLED,) if comparator == OWN_BASELINE else ()
    return Estimate(
        quantity=text("responder rate — responder: {definition}", definition=described),
        estimate=x / n,
        ci_low=low,
        ci_high=high,
        confidence=conf,
        n=n,
        method="proportion; Wilson score interval",
        comparator=comparator,
        caveats=tuple(
            dict.fromkeys(
                (*uncontrolled, *size_caveats(n), *definition.caveats(), *extra, *caveats)
            )
        ),
        details={
            "definition": described,
            "responders": x,
            "n_evaluable": n,
            "n_not_evaluable": int(n_not_evaluable),
            "clopper_pearson_low": cp_low,
            "clopper_pearson_high": cp_high,
            "rate_missing_as_nonresponders": worst,
        },
    )


def responder_rate(
    definition: ResponderDefinition,
    *,
    baseline: npt.ArrayLike | None = None,
    follow_up: npt.ArrayLike | None = None,
    cgi_i: npt.ArrayLike | None = None,
    confidence: float = 0.95,
    comparator: str = OWN_BASELINE,
    caveats: tuple[str, ...] = (),
) -> Estimate:
    """Classify participants with ``definition`` and return the responder rate.

    Parameters
    ----------
    definition : ResponderDefinition
        The responder rule.
    baseline, follow_up, cgi_i : array_like, optional
        Data the rule needs.
    confidence : float
        Confidence level.
    comparator : str
        What the rate is relative to.
    caveats : tuple of str
        Extra caveats.

    Returns
    -------
    Estimate
        As :func:`responder_rate_from_counts`.

    Notes
    -----
    Not-evaluable participants (NaN from :meth:`ResponderDefinition.apply`) are excluded
    and counted. Wilson interval; see :func:`responder_rate_from_counts`.

    References
    ----------
    Newcombe RG. *Stat Med* 1998;17:857–872.

    Examples
    --------
    >>> est = responder_rate(ResponderDefinition.cgi_i(), cgi_i=[1, 2, 3, 4, 4, 2, None])
    >>> round(est.estimate, 3), est.n, est.details["n_not_evaluable"]
    (0.5, 6, 1)
    """
    status = definition.apply(baseline=baseline, follow_up=follow_up, cgi_i=cgi_i)
    evaluable = status[~np.isnan(status)]
    if evaluable.size == 0:
        raise ValueError("no participant could be classified")
    return responder_rate_from_counts(
        int(evaluable.sum()),
        int(evaluable.size),
        definition=definition,
        confidence=confidence,
        comparator=comparator,
        n_not_evaluable=int(status.size - evaluable.size),
        caveats=caveats,
    )


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
            raise ValueError("risk ratio undefined")
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
