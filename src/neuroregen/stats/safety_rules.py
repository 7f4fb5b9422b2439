"""Safety statistics: exact intervals for event proportions and rates, and stopping rules.

Used by the DSMB tables and the safety dashboard. Pure: plain integers and floats in, frozen
result objects out; no Django.

* :func:`proportion_exact` — participants with an event out of those exposed, with the
  Clopper–Pearson ("exact") interval as the primary interval (conservative, which is what a
  safety table wants: it never claims more certainty than the counts give).
* :func:`incidence_rate_exact` — events per unit of exposure (e.g. per participant-year) with
  the exact Poisson (Garwood) interval.
* :func:`beta_binomial_rule` — Bayesian stopping rule: stop when the posterior probability that
  the true event rate exceeds an unacceptable level is above a cut-off.
* :func:`beta_binomial_boundaries` — the same rule written out as "stop if at least k of n".
* :func:`fixed_count_rule` — stop when a number of qualifying events is reached.

Missing data: none is imputed. Counts are what was observed; a participant without exposure
time contributes nothing to a rate's denominator.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from scipy import stats

from neuroregen.stats._common import check_confidence, size_caveats
from neuroregen.stats.proportion_interval import clopper_pearson_interval
from neuroregen.stats.results import Estimate
from neuroregen.stats.text import text

__all__ = [
    "NO_COMPARATOR",
    "StoppingRuleResult",
    "beta_binomial_boundaries",
    "beta_binomial_rule",
    "fixed_count_rule",
    "incidence_rate_exact",
    "poisson_exact_interval",
    "proportion_exact",
]

NO_COMPARATOR = "none (descriptive safety summary; no control group unless arms are compared)"
OPEN_LABEL_ATTRIBUTION = (
    "relatedness is the investigator's judgement in an open-label setting and may be biased"
)


def proportion_exact(
    events: int,
    n: int,
    *,
    quantity: str = "participants with an event",
    confidence: float = 0.95,
    comparator: str = NO_COMPARATOR,
    caveats: tuple[str, ...] = (),
) -> Estimate:
    """Proportion ``events / n`` with its Clopper–Pearson exact interval.

    Parameters
    ----------
    events : int
        Participants with at least one qualifying event (0 ≤ events ≤ n).
    n : int
        Participants exposed (n ≥ 1).
    quantity : str
        What is counted, in words; becomes the estimate's ``quantity``.
    confidence : float
        Confidence level.
    comparator : str
        What the proportion is compared with (default: nothing — descriptive).
    caveats : tuple of str
        Extra caveats (e.g. SYNTHETIC).

    Returns
    -------
    Estimate
        ``estimate`` = events/n, interval = Clopper–Pearson; ``details`` holds the counts.

    Notes
    -----
    Interval: [B(α/2; x, n−x+1), B(1−α/2; x+1, n−x)] with B the beta quantile, 0 when x = 0
    and 1 when x = n (Clopper & Pearson 1934). Coverage is at least nominal. With no events
    the upper bound is 1 − (α/2)^(1/n) (about 3.7/n for 95 %, the "rule of three" cousin).

    References
    ----------
    Clopper CJ, Pearson ES. The use of confidence or fiducial limits illustrated in the case
    of the binomial. *Biometrika* 1934;26:404–413.

    Examples
    --------
    >>> est = proportion_exact(3, 12, quantity="participants with a grade ≥ 3 AE")
    >>> round(est.estimate, 3), round(est.ci_low, 4), round(est.ci_high, 4)
    (0.25, 0.0549, 0.5719)
    >>> round(proportion_exact(0, 20).ci_high, 4)
    0.1684
    """
    if n < 1:
        raise ValueError(text("a proportion needs at least one participant in the denominator"))
    conf = check_confidence(confidence)
    low, high = clopper_pearson_interval(events, n, conf)
    return Estimate(
        quantity=quantity,
        estimate=events / n,
        ci_low=low,
        ci_high=high,
        confidence=conf,
        n=n,
        method="proportion; Clopper–Pearson exact interval",
        comparator=comparator,
        caveats=tuple(dict.fromkeys((*size_caveats(n), *caveats))),
        details={"events": int(events), "n": int(n)},
    )


def poisson_exact_interval(events: int, confidence: float = 0.95) -> tuple[float, float]:
    """Exact (Garwood) interval for a Poisson count.

    [χ²(α/2; 2k)/2, χ²(1−α/2; 2k+2)/2], with 0 as the lower bound when k = 0.

    Examples
    --------
    >>> [round(v, 4) for v in poisson_exact_interval(3)]
    [0.6187, 8.7673]
    >>> [round(v, 4) for v in poisson_exact_interval(0)]
    [0.0, 3.6889]
    """
    if int(events) != events or events < 0:
        raise ValueError(f"a count must be a non-negative integer, got {events}")
    alpha = 1.0 - check_confidence(confidence)
    k = int(events)
    low = 0.0 if k == 0 else float(stats.chi2.ppf(alpha / 2.0, 2 * k)) / 2.0
    high = float(stats.chi2.ppf(1.0 - alpha / 2.0, 2 * k + 2)) / 2.0
    return low, high


def incidence_rate_exact(
    events: int,
    exposure: float,
    *,
    per: float = 1.0,
    unit: str = "participant-year",
    quantity: str = "events",
    n: int = 0,
    confidence: float = 0.95,
    caveats: tuple[str, ...] = (),
) -> Estimate:
    """Exposure-adjusted incidence rate ``events / exposure`` with its exact Poisson interval.

    Parameters
    ----------
    events : int
        Number of events (every event counts, including repeats in one participant).
    exposure : float
        Total exposure time, in ``unit`` (> 0).
    per : float
        Rate expressed per this many units (e.g. 100 for "per 100 participant-years").
    unit : str
        Unit of exposure, in words.
    quantity : str
        What is counted; the quantity reads "<quantity> per <per> <unit>".
    n : int
        Participants who contributed exposure (reported, not used in the formula).
    confidence : float
        Confidence level.
    caveats : tuple of str
        Extra caveats.

    Returns
    -------
    Estimate
        Rate with the Garwood interval divided by the exposure; ``details`` holds events,
        exposure and ``per``.

    Notes
    -----
    Assumes events follow a Poisson process with a constant rate over the exposure and
    independence between events. Repeat events in one child are usually over-dispersed, so
    the interval can be too narrow when a few children have many events (caveat added when
    ``n`` is given and events exceed participants).

    References
    ----------
    Garwood F. Fiducial limits for the Poisson distribution. *Biometrika* 1936;28:437–442.

    Examples
    --------
    >>> est = incidence_rate_exact(3, 2.5, per=100)
    >>> round(est.estimate, 1), round(est.ci_low, 2), round(est.ci_high, 2)
    (120.0, 24.75, 350.69)
    >>> est.quantity
    'events per 100 participant-years'
    """
    if not exposure > 0:
        raise ValueError("exposure must be positive")
    conf = check_confidence(confidence)
    low, high = poisson_exact_interval(events, conf)
    scale = per / float(exposure)
    per_text = f"{per:g} " if per != 1 else ""
    extra: tuple[str, ...] = ()
    if n and events > n:
        extra = (
            "repeat events in the same participant are counted; if a few children account for "
            "most events the Poisson interval is too narrow",
        )
    return Estimate(
        quantity=f"{quantity} per {per_text}{unit}s",
        estimate=events * scale,
        ci_low=low * scale,
        ci_high=high * scale,
        confidence=conf,
        n=int(n),
        method="incidence rate; exact Poisson (Garwood) interval",
        comparator=NO_COMPARATOR,
        caveats=tuple(dict.fromkeys((*(size_caveats(n) if n else ()), *extra, *caveats))),
        details={"events": int(events), "exposure": float(exposure), "per": per, "unit": unit},
    )


@dataclass(frozen=True)
class StoppingRuleResult:
    """The state of a stopping rule and the numbers it used.

    Attributes
    ----------
    kind : str
        ``"beta_binomial"`` or ``"fixed_count"``.
    triggered : bool
        True when the rule says stop (or pause for DSMB review).
    events : int
        Qualifying events (participants with an event for beta-binomial; events for a count).
    n : int
        Participants evaluated.
    statistic : float
        Posterior probability (beta-binomial) or the count (fixed count).
    boundary : float
        Cut-off the statistic is compared with.
    explanation : str
        One sentence a DSMB member can read.
    details : mapping
        Prior, threshold rate, events still allowed, etc.
    """

    kind: str
    triggered: bool
    events: int
    n: int
    statistic: float
    boundary: float
    explanation: str
    details: dict[str, Any] = field(default_factory=dict)

    def as_row(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "triggered": self.triggered,
            "events": self.events,
            "n": self.n,
            "statistic": self.statistic,
            "boundary": self.boundary,
            "explanation": self.explanation,
            **{f"detail_{k}": v for k, v in self.details.items()},
        }


def _check_prior(prior_a: float, prior_b: float, threshold: float, cutoff: float) -> None:
    if not (prior_a > 0 and prior_b > 0):
        raise ValueError("beta prior parameters must be positive")
    if not 0.0 < threshold < 1.0:
        raise ValueError("the unacceptable rate must lie strictly between 0 and 1")
    if not 0.0 < cutoff < 1.0:
        raise ValueError("the posterior probability cut-off must lie strictly between 0 and 1")


def _posterior_exceedance(
    events: int, n: int, prior_a: float, prior_b: float, threshold: float
) -> float:
    return float(stats.beta.sf(threshold, prior_a + events, prior_b + n - events))


def beta_binomial_rule(
    events: int,
    n: int,
    *,
    threshold: float,
    cutoff: float,
    prior_a: float = 1.0,
    prior_b: float = 1.0,
) -> StoppingRuleResult:
    """Bayesian beta-binomial safety stopping rule.

    With a Beta(a, b) prior on the event probability p and ``events`` of ``n`` participants
    with a qualifying event, the posterior is Beta(a + events, b + n − events). The rule
    triggers when P(p > threshold | data) > cutoff.

    Parameters
    ----------
    events, n : int
        Participants with a qualifying event, and participants evaluated (0 ≤ events ≤ n).
    threshold : float
        The unacceptable event probability (e.g. 0.20).
    cutoff : float
        Posterior probability above which the rule triggers (e.g. 0.80).
    prior_a, prior_b : float
        Beta prior parameters (default uniform Beta(1, 1)).

    Returns
    -------
    StoppingRuleResult
        ``statistic`` = posterior probability, ``boundary`` = cutoff; ``details`` holds the
        posterior parameters and the fewest events at this n that would trigger.

    Notes
    -----
    For integer posterior parameters, P(p > θ) = P(Binomial(a' + b' − 1, θ) ≤ a' − 1), which
    lets the result be checked by hand. Assumes exchangeable participants; the rule is a
    screening device for DSMB review, not an automatic decision.

    References
    ----------
    Thall PF, Simon R. Practical Bayesian guidelines for phase IIB clinical trials.
    *Biometrics* 1994;50:337–349.

    Examples
    --------
    >>> r = beta_binomial_rule(4, 10, threshold=0.2, cutoff=0.8)
    >>> round(r.statistic, 4), r.triggered
    (0.9496, True)
    >>> beta_binomial_rule(1, 10, threshold=0.2, cutoff=0.8).triggered
    False
    """
    if int(events) != events or int(n) != n or n < 0 or not 0 <= events <= n:
        raise ValueError(f"need 0 ≤ events ≤ n, got events={events}, n={n}")
    _check_prior(prior_a, prior_b, threshold, cutoff)
    prob = _posterior_exceedance(int(events), int(n), prior_a, prior_b, threshold)
    triggered = prob > cutoff
    stop_at = _min_events_to_trigger(int(n), prior_a, prior_b, threshold, cutoff)
    explanation = (
        f"{events} of {n} participants had a qualifying event; with a Beta({prior_a:g}, "
        f"{prior_b:g}) prior the probability that the true rate exceeds {threshold:.0%} is "
        f"{prob:.1%} ({'above' if triggered else 'not above'} the {cutoff:.0%} cut-off)"
    )
    return StoppingRuleResult(
        kind="beta_binomial",
        triggered=triggered,
        events=int(events),
        n=int(n),
        statistic=prob,
        boundary=cutoff,
        explanation=explanation,
        details={
            "prior_a": prior_a,
            "prior_b": prior_b,
            "threshold": threshold,
            "posterior_a": prior_a + events,
            "posterior_b": prior_b + n - events,
            "min_events_to_trigger_at_n": stop_at,
        },
    )


def _min_events_to_trigger(
    n: int, prior_a: float, prior_b: float, threshold: float, cutoff: float
) -> int | None:
    # The exceedance probability rises with the count, so the first count that triggers is
    # the boundary; None when even n of n does not.
    for k in range(n + 1):
        if _posterior_exceedance(k, n, prior_a, prior_b, threshold) > cutoff:
            return k
    return None


def beta_binomial_boundaries(
    n_max: int,
    *,
    threshold: float,
    cutoff: float,
    prior_a: float = 1.0,
    prior_b: float = 1.0,
) -> list[tuple[int, int | None]]:
    """The beta-binomial rule as a table: for n = 1..n_max, the fewest events that trigger.

    Examples
    --------
    >>> beta_binomial_boundaries(5, threshold=0.2, cutoff=0.8)
    [(1, 1), (2, 1), (3, 1), (4, 2), (5, 2)]
    """
    if n_max < 1:
        raise ValueError("n_max must be at least 1")
    _check_prior(prior_a, prior_b, threshold, cutoff)
    return [
        (n, _min_events_to_trigger(n, prior_a, prior_b, threshold, cutoff))
        for n in range(1, n_max + 1)
    ]


def fixed_count_rule(events: int, n: int, *, max_events: int) -> StoppingRuleResult:
    """Stop when the number of qualifying events reaches ``max_events``.

    Examples
    --------
    >>> r = fixed_count_rule(2, 9, max_events=2)
    >>> r.triggered, r.details["events_remaining"]
    (True, 0)
    >>> fixed_count_rule(0, 9, max_events=1).triggered
    False
    """
    if int(events) != events or events < 0 or n < 0:
        raise ValueError("counts must be non-negative integers")
    if max_events < 1:
        raise ValueError("max_events must be at least 1")
    triggered = events >= max_events
    explanation = (
        f"{events} qualifying event(s) among {n} participants; the rule pauses dosing at "
        f"{max_events} ({'reached' if triggered else 'not reached'})"
    )
    return StoppingRuleResult(
        kind="fixed_count",
        triggered=triggered,
        events=int(events),
        n=int(n),
        statistic=float(events),
        boundary=float(max_events),
        explanation=explanation,
        details={"max_events": max_events, "events_remaining": max(0, max_events - events)},
    )


def person_years(days: float) -> float:
    """Days of exposure as years (365.25 days per year).

    >>> person_years(365.25)
    1.0
    """
    if days < 0 or math.isnan(days):
        raise ValueError("exposure days must be a non-negative number")
    return days / 365.25
