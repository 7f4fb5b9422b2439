"""Responder rates, each with the definition that makes it a quantity.

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
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from neuroregen.stats._common import (
    FloatArray,
    as_float_array,
    check_confidence,
    size_caveats,
    wilson_interval,
)
from neuroregen.stats.proportion_interval import _check_count, clopper_pearson_interval
from neuroregen.stats.reliable_change import reliable_change
from neuroregen.stats.results import (
    OWN_BASELINE,
    PROVISIONAL_RELIABILITY,
    UNCONTROLLED,
    Direction,
    Estimate,
)
from neuroregen.stats.text import Text, template, text

__all__ = [
    "ResponderDefinition",
    "ResponderKind",
    "responder_rate",
    "responder_rate_from_counts",
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
        raise ValueError(text("no participant could be classified"))
    return responder_rate_from_counts(
        int(evaluable.sum()),
        int(evaluable.size),
        definition=definition,
        confidence=confidence,
        comparator=comparator,
        n_not_evaluable=int(status.size - evaluable.size),
        caveats=caveats,
    )
