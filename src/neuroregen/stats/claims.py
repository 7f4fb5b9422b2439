"""Checking the programme's efficacy claims against data and benchmarks.

The programme description makes claims ("improvement in 60–80 % of patients", "sustained
improvement in 40–60 % within 6–12 months", "the effect is larger in young children"). This
module states them as :class:`Claim` objects and evaluates them, with a stated
:class:`~neuroregen.stats.proportions.ResponderDefinition`, into a :class:`ClaimVerdict`.

Verdict rule (deliberately strict; a claim is never "supported" by a point estimate):

* a claim keeps both bounds of what was said: "improvement in 60–80 % of patients" is the
  range 60–80 %, never "≥ 60 %";
* the observed figure is **inside** the claim when its whole confidence interval satisfies it
  (for a range: lower bound ≥ the range's lower end and upper bound ≤ its upper end); it is
  **outside** when the whole interval misses it (all below, or all above the range). An
  interval wider than the range can never be inside: the sample is too small to confirm a
  range that narrow, and the reasons say so;
* **supported** — inside the claim **and** the whole interval of the comparison lies above
  zero. The comparison is, in order of preference, the concurrent control arm of the same
  protocol (:mod:`neuroregen.stats.claims_controlled`) or, only when there is none, a
  published benchmark that counts the *same* responder definition
  (:mod:`neuroregen.stats.benchmark_match`);
* **not supported** — outside the claim, or the whole comparison interval lies below zero;
* **inconclusive** — anything else, including a claim with no concurrent control and no
  matching benchmark ("no matching benchmark for this definition").

The verdict sentence itself (:attr:`ClaimVerdict.headline`) says when the data are
uncontrolled that they cannot show efficacy; it is never left to a caveat.
"""

from __future__ import annotations

import enum
import html
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from neuroregen.stats._common import FloatArray, InsufficientDataError, as_float_array
from neuroregen.stats.benchmark_match import match_rate_benchmark
from neuroregen.stats.benchmarks import (
    NATURAL_HISTORY_ATEC_AGE,
    PLACEBO_CGI_I_RESPONDERS,
    Benchmark,
    BenchmarkKind,
)
from neuroregen.stats.comparators import compare_rate_with_benchmark
from neuroregen.stats.responders import ResponderDefinition, responder_rate_from_counts
from neuroregen.stats.results import (
    AGE_CONFOUNDING,
    CAREGIVER_RATED,
    SYNTHETIC,
    UNCONTROLLED,
    Estimate,
    _fmt,
)
from neuroregen.stats.text import template, text
from neuroregen.stats.two_proportions import risk_difference

__all__ = [
    "CLAIM_LARGER_IN_YOUNGER",
    "CLAIM_MAJORITY_IMPROVE",
    "CLAIM_SUSTAINED_6_12_MONTHS",
    "Claim",
    "ClaimKind",
    "ClaimVerdict",
    "Verdict",
    "evaluate_claim",
]


class ClaimKind(enum.Enum):
    """The shape of a claim."""

    RATE_AT_LEAST = "rate at least"
    RATE_BETWEEN = "rate between"
    LARGER_IN_YOUNGER = "larger in younger children"


class Verdict(enum.Enum):
    """Outcome of a claim check."""

    SUPPORTED = template("supported")
    NOT_SUPPORTED = template("not supported")
    INCONCLUSIVE = template("inconclusive")


_CONTROLLED_HEADLINE = {
    Verdict.SUPPORTED: template("Supported, compared with the {comparator}."),
    Verdict.NOT_SUPPORTED: template("Not supported, compared with the {comparator}."),
    Verdict.INCONCLUSIVE: template("Inconclusive, compared with the {comparator}."),
}
_UNCONTROLLED_HEADLINE = {
    Verdict.SUPPORTED: template(
        "Supported as an observed figure only: without a concurrent control these "
        "uncontrolled data cannot show that the therapy caused the improvement."
    ),
    Verdict.NOT_SUPPORTED: template(
        "Not supported; uncontrolled data (no concurrent control) cannot show efficacy either way."
    ),
    Verdict.INCONCLUSIVE: template(
        "Inconclusive; uncontrolled data (no concurrent control) cannot show efficacy either way."
    ),
}


@dataclass(frozen=True)
class Claim:
    """A claim in testable form.

    Attributes
    ----------
    text : str
        The claim as made.
    kind : ClaimKind
        Its shape.
    lower, upper : float
        Claimed bounds on a rate (NaN when not used).
    window_months : tuple of float or None
        Follow-up window the claim speaks about.
    benchmark : Benchmark or None
        What the observed figure must beat.
    """

    text: str
    kind: ClaimKind
    lower: float = math.nan
    upper: float = math.nan
    window_months: tuple[float, float] | None = None
    benchmark: Benchmark | None = None


CLAIM_MAJORITY_IMPROVE = Claim(
    text=text("60–80 % of patients improve"),
    kind=ClaimKind.RATE_BETWEEN,
    lower=0.60,
    upper=0.80,
    benchmark=PLACEBO_CGI_I_RESPONDERS,
)
CLAIM_SUSTAINED_6_12_MONTHS = Claim(
    text=text("40–60 % show sustained improvement at 6–12 months"),
    kind=ClaimKind.RATE_BETWEEN,
    lower=0.40,
    upper=0.60,
    window_months=(6.0, 12.0),
    benchmark=PLACEBO_CGI_I_RESPONDERS,
)
CLAIM_LARGER_IN_YOUNGER = Claim(
    text=text("the effect is larger in younger children"),
    kind=ClaimKind.LARGER_IN_YOUNGER,
    benchmark=NATURAL_HISTORY_ATEC_AGE,
)


@dataclass(frozen=True)
class ClaimVerdict:
    """The result of checking one claim.

    Attributes
    ----------
    claim : Claim
        The claim checked.
    definition : str
        The responder definition used, in words.
    observed : Estimate
        The observed figure with its interval (a rate, or a younger − older difference).
    benchmark : Benchmark or None
        The benchmark the figure was set against.
    comparison : Estimate or None
        Observed minus benchmark, when the benchmark is numeric.
    verdict : Verdict
        supported / not supported / inconclusive (rule in the module docstring).
    reasons : tuple of str
        Why, in words.
    caveats : tuple of str
        Limits on interpretation.
    comparator : str
        What the observed figure was compared with: a concurrent control arm, a matching
        benchmark, or nothing ("").
    controlled : bool
        True when the comparison is a concurrent control arm.
    """

    claim: Claim
    definition: str
    observed: Estimate
    benchmark: Benchmark | None
    comparison: Estimate | None
    verdict: Verdict
    reasons: tuple[str, ...]
    caveats: tuple[str, ...]
    comparator: str = ""
    controlled: bool = False

    @property
    def headline(self) -> str:
        """The verdict as one sentence, saying what it rests on.

        Uncontrolled data are said, in the sentence itself, to be unable to show efficacy.
        """
        # one whole sentence per verdict, so each language can word it as a sentence
        if self.controlled:
            return text(_CONTROLLED_HEADLINE[self.verdict], comparator=self.comparator)
        return text(_UNCONTROLLED_HEADLINE[self.verdict])

    def as_row(self) -> dict[str, Any]:
        """A flat dict for tables."""
        return {
            "claim": self.claim.text,
            "claim_lower": self.claim.lower,
            "claim_upper": self.claim.upper,
            "verdict": self.verdict.value,
            "headline": self.headline,
            "comparator": self.comparator,
            "controlled": self.controlled,
            "definition": self.definition,
            "observed": self.observed.estimate,
            "observed_ci_low": self.observed.ci_low,
            "observed_ci_high": self.observed.ci_high,
            "confidence": self.observed.confidence,
            "n": self.observed.n,
            "benchmark": self.benchmark.key if self.benchmark else None,
            "benchmark_value": self.benchmark.value if self.benchmark else None,
            "vs_benchmark": self.comparison.estimate if self.comparison else None,
            "vs_benchmark_ci_low": self.comparison.ci_low if self.comparison else None,
            "vs_benchmark_ci_high": self.comparison.ci_high if self.comparison else None,
            "reasons": "; ".join(self.reasons),
            "caveats": "; ".join(self.caveats),
        }

    def as_text(self) -> str:
        """Readable paragraph: claim, verdict, figure with interval, benchmark, reasons, caveats."""
        parts = [
            f"Claim “{self.claim.text}”: {self.verdict.value.upper()}. {self.headline}",
            f"Responder: {self.definition}.",
            f"Observed: {self.observed.quantity} {_fmt(self.observed.estimate)} "
            f"({self.observed.interval_text()}), n={self.observed.n}.",
        ]
        if self.benchmark is not None:
            parts.append(f"Benchmark: {self.benchmark.as_text()}")
        if self.comparison is not None:
            parts.append(
                f"Difference from benchmark: {_fmt(self.comparison.estimate)} "
                f"({self.comparison.interval_text()})."
            )
        parts.append("Reasons: " + "; ".join(self.reasons) + ".")
        if self.caveats:
            parts.append("Caveats: " + "; ".join(self.caveats) + ".")
        return " ".join(parts)

    def as_html(self) -> str:
        """Escaped HTML fragment with the same content as :meth:`as_text`."""
        e = html.escape
        reasons = "".join(f"<li>{e(r)}</li>" for r in self.reasons)
        caveats = "".join(f"<li>{e(c)}</li>" for c in self.caveats)
        bench = (
            f'<p class="benchmark">Benchmark: {e(self.benchmark.as_text())}</p>'
            if self.benchmark
            else ""
        )
        comp = (
            f'<p class="comparison">Difference from benchmark: '
            f"{e(_fmt(self.comparison.estimate))} ({e(self.comparison.interval_text())})</p>"
            if self.comparison
            else ""
        )
        return (
            f'<div class="nr-claim verdict-{e(self.verdict.name.lower())}">'
            f'<p class="claim">Claim “{e(self.claim.text)}”: '
            f'<strong class="verdict">{e(self.verdict.value)}</strong></p>'
            f'<p class="headline">{e(self.headline)}</p>'
            f'<p class="definition">Responder: {e(self.definition)}</p>'
            f'<p class="observed">Observed: {e(self.observed.quantity)} '
            f"<strong>{e(_fmt(self.observed.estimate))}</strong> "
            f"({e(self.observed.interval_text())}), n={self.observed.n}</p>"
            f"{bench}{comp}"
            f'<ul class="reasons">{reasons}</ul>'
            + (f'<ul class="caveats">{caveats}</ul>' if caveats else "")
            + "</div>"
        )


def _classify(
    definition: ResponderDefinition,
    baseline: npt.ArrayLike | None,
    follow_up: npt.ArrayLike | None,
    cgi_i: npt.ArrayLike | None,
) -> FloatArray:
    """Responder status; 2-D follow-up/CGI-I (participants × visits) means *sustained*.

    Sustained response = responder at every visit supplied; a non-response at any visit makes
    the participant a non-responder; otherwise a missing visit makes them not evaluable.
    """
    fu = None if follow_up is None else np.asarray(follow_up, dtype=float)
    cg = None if cgi_i is None else np.asarray(cgi_i, dtype=float)
    two_d = (fu is not None and fu.ndim == 2) or (cg is not None and cg.ndim == 2)
    if not two_d:
        return definition.apply(baseline=baseline, follow_up=fu, cgi_i=cg)
    if fu is not None and fu.ndim == 2:
        visits = fu.shape[1]
    elif cg is not None:
        visits = cg.shape[1]
    else:  # pragma: no cover - two_d guarantees one of them
        raise ValueError(text("no visit data"))
    columns = [
        definition.apply(
            baseline=baseline,
            follow_up=None if fu is None else fu[:, k],
            cgi_i=None if cg is None else cg[:, k],
        )
        for k in range(visits)
    ]
    stack = np.column_stack(columns)
    any_no = np.any(stack == 0.0, axis=1)
    all_yes = np.all(stack == 1.0, axis=1)
    return np.where(any_no, 0.0, np.where(all_yes, 1.0, np.nan))


NO_VERSUS = text("the benchmark")
NO_NUMERIC_BENCHMARK = text("no numeric benchmark: the claim cannot be supported")


def _context_caveats(*, synthetic: bool, caregiver_rated: bool) -> tuple[str, ...]:
    out: list[str] = [UNCONTROLLED]
    if caregiver_rated:
        out.append(CAREGIVER_RATED)
    if synthetic:
        out.append(SYNTHETIC)
    return tuple(out)


def _rate_verdict(
    claim: Claim,
    observed: Estimate,
    comparison: Estimate | None,
    *,
    versus: str = NO_VERSUS,
    no_comparison: str = NO_NUMERIC_BENCHMARK,
) -> tuple[Verdict, list[str]]:
    lo, hi = observed.ci_low, observed.ci_high
    level = text("{level}% interval", level=round(observed.confidence * 100))
    reasons: list[str] = []
    if claim.kind is ClaimKind.RATE_AT_LEAST:
        inside = lo >= claim.lower
        outside = hi < claim.lower
        target = text("≥ {lower:.0%}", lower=claim.lower)
    else:
        inside = claim.lower <= lo and hi <= claim.upper
        outside = hi < claim.lower or lo > claim.upper
        target = text("between {lower:.0%} and {upper:.0%}", lower=claim.lower, upper=claim.upper)
    span = text("{low:.0%}–{high:.0%}", low=lo, high=hi)
    parts = {"level": level, "span": span, "target": target}
    if inside:
        reasons.append(text("the whole {level} ({span}) is {target}", **parts))
    elif outside:
        reasons.append(
            text(
                "the whole {level} ({span}) lies outside the claim ({target})",
                **parts,
            )
        )
    else:
        reasons.append(text("the {level} ({span}) is only partly {target}", **parts))
        if claim.kind is ClaimKind.RATE_BETWEEN and hi - lo > claim.upper - claim.lower:
            reasons.append(
                text("the interval is wider than the claimed range: too few children to confirm it")
            )
    beats = worse = False
    if comparison is None:
        reasons.append(no_comparison)
    else:
        beats = comparison.ci_low > 0
        worse = comparison.ci_high < 0
        if beats:
            reasons.append(text("the rate exceeds {versus} beyond its uncertainty", versus=versus))
        elif worse:
            reasons.append(text("the rate is below {versus} beyond its uncertainty", versus=versus))
        else:
            reasons.append(text("the rate cannot be distinguished from {versus}", versus=versus))
    if inside and beats:
        return Verdict.SUPPORTED, reasons
    if outside or worse:
        return Verdict.NOT_SUPPORTED, reasons
    return Verdict.INCONCLUSIVE, reasons


def evaluate_claim(
    claim: Claim,
    definition: ResponderDefinition,
    *,
    baseline: npt.ArrayLike | None = None,
    follow_up: npt.ArrayLike | None = None,
    cgi_i: npt.ArrayLike | None = None,
    ages: npt.ArrayLike | None = None,
    age_cutoff: float | None = None,
    synthetic: bool,
    caregiver_rated: bool,
    confidence: float = 0.95,
) -> ClaimVerdict:
    """Evaluate a claim on participant data with a stated responder definition.

    Parameters
    ----------
    claim : Claim
        The claim (e.g. :data:`CLAIM_MAJORITY_IMPROVE`).
    definition : ResponderDefinition
        Who counts as improved.
    baseline, follow_up, cgi_i : array_like, optional
        The data the definition needs. For a sustained claim pass follow-up (or CGI-I) as a
        2-D array, participants × visits inside the claim's window: a sustained responder
        responds at every visit.
    ages : array_like, optional
        Age at treatment (any unit), required for the age claim.
    age_cutoff : float, optional
        Younger = age < cutoff; default the median age of evaluable participants.
    synthetic : bool
        Whether the data are synthetic (adds the SYNTHETIC caveat). Required: never assumed.
    caregiver_rated : bool
        Whether the outcome is rated by caregivers (adds CAREGIVER_RATED). Required.
    confidence : float
        Confidence level.

    Returns
    -------
    ClaimVerdict

    Notes
    -----
    Rate claims: the responder rate with its Wilson interval is compared with the claim's
    bounds and, via :func:`~neuroregen.stats.comparators.compare_rate_with_benchmark`, with
    the benchmark (default: placebo CGI-I responders, 19 %). Verdict rule in the module
    docstring.

    Age claim: responder rates of younger vs older children, difference with the Newcombe
    interval. Because younger children also improve more without treatment (natural
    history), an age gradient in uncontrolled data cannot show a larger *effect*: the
    verdict is "not supported" when the whole interval is below zero (older children
    respond more), otherwise "inconclusive". AGE_CONFOUNDING is always attached.

    Missing data: participants who cannot be classified are excluded and counted (see
    :func:`~neuroregen.stats.proportions.responder_rate`); for the age claim, participants
    without an age are excluded too.

    References
    ----------
    Siafis S et al. *Mol Autism* 2020;11:66. Newcombe RG. *Stat Med* 1998;17:857–890.

    Examples
    --------
    >>> from neuroregen.stats.proportions import ResponderDefinition
    >>> cgi = [1, 2, 2, 3, 4, 2, 1, 3, 2, 4, 2, 2, 3, 2, 1, 2, 4, 2, 2, 3]
    >>> v = evaluate_claim(CLAIM_MAJORITY_IMPROVE, ResponderDefinition.cgi_i(), cgi_i=cgi,
    ...                    synthetic=True, caregiver_rated=False)
    >>> v.verdict.value, round(v.observed.estimate, 2)
    ('inconclusive', 0.65)
    >>> v.caveats[0] == UNCONTROLLED
    True
    """
    context = _context_caveats(synthetic=synthetic, caregiver_rated=caregiver_rated)
    status = _classify(definition, baseline, follow_up, cgi_i)
    definition_text = definition.describe()
    if claim.kind is ClaimKind.LARGER_IN_YOUNGER:
        return _evaluate_age(claim, definition, status, ages, age_cutoff, context, confidence)
    evaluable = status[~np.isnan(status)]
    if evaluable.size == 0:
        raise InsufficientDataError(text("no participant could be classified"))
    window: tuple[str, ...] = ()
    if claim.window_months is not None:
        window = (
            text(
                "the claim concerns months {first:g}–{last:g}: the visits supplied must fall in "
                "that window; sustained = responder at every visit supplied",
                first=claim.window_months[0],
                last=claim.window_months[1],
            ),
        )
    observed = responder_rate_from_counts(
        int(evaluable.sum()),
        int(evaluable.size),
        definition=definition,
        confidence=confidence,
        n_not_evaluable=int(status.size - evaluable.size),
        caveats=(*context, *window),
    )
    comparison = None
    bench = claim.benchmark
    no_comparison = NO_NUMERIC_BENCHMARK
    if bench is not None and bench.kind is BenchmarkKind.PROPORTION:
        match = match_rate_benchmark(bench, definition_text)
        if match.matches:
            comparison = compare_rate_with_benchmark(observed, bench)
        else:
            # a benchmark counting other responders is not shown as a comparator at all
            no_comparison = text("{reason}: the claim cannot be supported", reason=match.reason)
            bench = None
    verdict, reasons = _rate_verdict(claim, observed, comparison, no_comparison=no_comparison)
    caveats = comparison.caveats if comparison is not None else observed.caveats
    return ClaimVerdict(
        claim=claim,
        definition=definition_text,
        observed=observed,
        benchmark=bench,
        comparison=comparison,
        verdict=verdict,
        reasons=tuple(reasons),
        caveats=tuple(dict.fromkeys(caveats)),
        comparator=bench.description if bench is not None and comparison is not None else "",
    )


def _evaluate_age(
    claim: Claim,
    definition: ResponderDefinition,
    status: FloatArray,
    ages: npt.ArrayLike | None,
    age_cutoff: float | None,
    context: tuple[str, ...],
    confidence: float,
) -> ClaimVerdict:
    if ages is None:
        raise ValueError(text("the age claim needs ages"))
    age = as_float_array(ages, "ages")
    if age.shape != status.shape:
        raise ValueError("ages must align with the participants")
    keep = ~(np.isnan(age) | np.isnan(status))
    age, resp = age[keep], status[keep]
    cutoff = float(np.median(age)) if age_cutoff is None else float(age_cutoff)
    young = age < cutoff
    if young.sum() == 0 or (~young).sum() == 0:
        raise InsufficientDataError(
            text("age cutoff {cutoff:g} leaves one group empty", cutoff=cutoff)
        )
    observed = risk_difference(
        int(resp[young].sum()),
        int(young.sum()),
        int(resp[~young].sum()),
        int((~young).sum()),
        confidence=confidence,
        label=text("responder rate, younger (< {cutoff:g}) − older", cutoff=cutoff),
        comparator=text("older children in the same programme"),
    )
    n_excluded = int(status.size - keep.sum())
    excluded = (
        (text("{n} participant(s) without age or responder status excluded", n=n_excluded),)
        if n_excluded
        else ()
    )
    caveats = (*context, AGE_CONFOUNDING, *observed.caveats, *definition.caveats(), *excluded)
    reasons = []
    if observed.ci_high < 0:
        verdict = Verdict.NOT_SUPPORTED
        reasons.append(text("older children responded more, beyond the uncertainty"))
    else:
        verdict = Verdict.INCONCLUSIVE
        if observed.ci_low > 0:
            reasons.append(
                text(
                    "younger children responded more, but natural history predicts this "
                    "without treatment"
                )
            )
        else:
            reasons.append(text("the difference between age groups is within its uncertainty"))
    reasons.append(
        text(
            "no control group: an age gradient cannot be separated from development ({source})",
            source=claim.benchmark.description if claim.benchmark else text("natural history"),
        )
    )
    return ClaimVerdict(
        claim=claim,
        definition=definition.describe(),
        observed=observed,
        benchmark=claim.benchmark,
        comparison=None,
        verdict=verdict,
        reasons=tuple(reasons),
        caveats=tuple(dict.fromkeys(caveats)),
    )
