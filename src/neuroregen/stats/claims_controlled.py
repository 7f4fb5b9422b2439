"""Checking the programme's claims against a concurrent control arm.

When the protocol randomises (or otherwise concurrently allocates) children to a control arm,
a claim is judged on the treated children and compared with the control children of the same
protocol, never with a published benchmark and never with the control children pooled into
"patients". The verdict rule is that of :mod:`neuroregen.stats.claims`, with the comparison
being the responder risk difference treated − control (Newcombe interval):

* rate claims — the treated responder rate must lie inside the claim (whole interval) and the
  risk difference must exceed zero (whole interval) to be **supported**;
* "the effect is larger in younger children" — the treatment effect is the risk difference
  treated − control in each age group; the claim is about their difference
  (younger − older), with a MOVER interval combining the two Newcombe intervals (Zou & Donner
  2008). **Supported** when the whole interval is above zero, **not supported** when it is
  below, otherwise **inconclusive**. With a control arm, development affects both arms alike,
  so the age gradient of the *effect* is estimable.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from neuroregen.stats._common import InsufficientDataError, as_float_array, mover_difference
from neuroregen.stats.claims import (
    Claim,
    ClaimKind,
    ClaimVerdict,
    Verdict,
    _classify,
    _rate_verdict,
)
from neuroregen.stats.controlled import concurrent_comparator, responder_difference
from neuroregen.stats.responders import ResponderDefinition, responder_rate_from_counts
from neuroregen.stats.results import CAREGIVER_RATED, SYNTHETIC, Estimate
from neuroregen.stats.text import text

__all__ = ["evaluate_claim_controlled"]

Arrays = Mapping[str, npt.ArrayLike]


def _status(definition: ResponderDefinition, data: Arrays) -> np.ndarray:
    return _classify(definition, data.get("baseline"), data.get("follow_up"), data.get("cgi_i"))


def _counts(status: np.ndarray) -> tuple[int, int]:
    ok = status[~np.isnan(status)]
    return int(ok.sum()), int(ok.size)


def evaluate_claim_controlled(
    claim: Claim,
    definition: ResponderDefinition,
    *,
    treated: Arrays,
    control: Arrays,
    control_arm: str,
    synthetic: bool,
    caregiver_rated: bool,
    confidence: float = 0.95,
) -> ClaimVerdict:
    """Evaluate a claim on the treated children against the concurrent control children.

    Parameters
    ----------
    claim : Claim
    definition : ResponderDefinition
        Who counts as improved (the same for both arms).
    treated, control : mapping
        The data the definition needs for each arm: ``baseline`` and ``follow_up`` or
        ``cgi_i`` (2-D for a sustained claim, participants × visits), and ``ages`` for the
        age claim.
    control_arm : str
        Code of the control arm (named as comparator).
    synthetic, caregiver_rated : bool
        Context caveats (required, never assumed).

    Examples
    --------
    >>> from neuroregen.stats.claims import CLAIM_MAJORITY_IMPROVE
    >>> d = ResponderDefinition.cgi_i()
    >>> v = evaluate_claim_controlled(CLAIM_MAJORITY_IMPROVE, d,
    ...     treated={"cgi_i": [2] * 140 + [4] * 60}, control={"cgi_i": [2] * 40 + [4] * 160},
    ...     control_arm="vehicle-in", synthetic=False, caregiver_rated=False)
    >>> v.verdict.value, v.controlled, v.comparison.comparator
    ('supported', True, 'concurrent control arm vehicle-in')
    """
    context = tuple(
        c for c, on in ((CAREGIVER_RATED, caregiver_rated), (SYNTHETIC, synthetic)) if on
    )
    definition_text = definition.describe()
    comparator = concurrent_comparator(control_arm)
    status_t, status_c = _status(definition, treated), _status(definition, control)
    if claim.kind is ClaimKind.LARGER_IN_YOUNGER:
        return _age_effect(
            claim,
            definition_text,
            status_t,
            status_c,
            treated,
            control,
            control_arm,
            context,
            confidence,
        )
    x_t, n_t = _counts(status_t)
    x_c, n_c = _counts(status_c)
    if n_t == 0 or n_c == 0:
        raise InsufficientDataError(text("no child could be classified in one of the arms"))
    window: tuple[str, ...] = ()
    if claim.window_months is not None:
        window = (
            text(
                "the claim concerns months {first:g}–{last:g}; sustained = responder at every "
                "visit supplied",
                first=claim.window_months[0],
                last=claim.window_months[1],
            ),
        )
    observed = responder_rate_from_counts(
        x_t,
        n_t,
        definition=definition,
        confidence=confidence,
        n_not_evaluable=int(status_t.size - n_t),
        caveats=(*context, *window),
    )
    rd, _ = responder_difference(
        x_t,
        n_t,
        x_c,
        n_c,
        definition=definition_text,
        control=control_arm,
        confidence=confidence,
        caveats=context,
    )
    verdict, reasons = _rate_verdict(
        claim, observed, rd, versus=text("the {comparator}", comparator=comparator)
    )
    return ClaimVerdict(
        claim=claim,
        definition=definition_text,
        observed=observed,
        benchmark=None,
        comparison=rd,
        verdict=verdict,
        reasons=tuple(reasons),
        caveats=tuple(dict.fromkeys((*observed.caveats, *rd.caveats))),
        comparator=comparator,
        controlled=True,
    )


def _age_effect(
    claim: Claim,
    definition_text: str,
    status_t: np.ndarray,
    status_c: np.ndarray,
    treated: Arrays,
    control: Arrays,
    control_arm: str,
    context: tuple[str, ...],
    confidence: float,
) -> ClaimVerdict:
    if "ages" not in treated or "ages" not in control:
        raise ValueError(text("the age claim needs ages in both arms"))
    age_t = as_float_array(treated["ages"], "ages")
    age_c = as_float_array(control["ages"], "ages")
    keep_t = ~(np.isnan(age_t) | np.isnan(status_t))
    keep_c = ~(np.isnan(age_c) | np.isnan(status_c))
    ages = np.concatenate([age_t[keep_t], age_c[keep_c]])
    if ages.size == 0:
        raise InsufficientDataError(text("no child with both age and responder status"))
    cutoff = float(np.median(ages))
    effects: list[Estimate] = []
    for young in (True, False):
        in_t = (age_t[keep_t] < cutoff) == young
        in_c = (age_c[keep_c] < cutoff) == young
        r_t, r_c = status_t[keep_t][in_t], status_c[keep_c][in_c]
        if r_t.size == 0 or r_c.size == 0:
            raise InsufficientDataError(
                text("age cutoff {cutoff:g} leaves an arm empty in a group", cutoff=cutoff)
            )
        rd, _ = responder_difference(
            int(r_t.sum()),
            int(r_t.size),
            int(r_c.sum()),
            int(r_c.size),
            definition=definition_text,
            control=control_arm,
            confidence=confidence,
        )
        effects.append(rd)
    young_rd, old_rd = effects
    low, high = mover_difference(
        young_rd.estimate,
        (young_rd.ci_low, young_rd.ci_high),
        old_rd.estimate,
        (old_rd.ci_low, old_rd.ci_high),
    )
    n = int(keep_t.sum() + keep_c.sum())
    observed = Estimate(
        quantity=text(
            "treatment effect on responders (treated − control), younger (< {cutoff:g} months) "
            "minus older",
            cutoff=cutoff,
        ),
        estimate=young_rd.estimate - old_rd.estimate,
        ci_low=low,
        ci_high=high,
        confidence=confidence,
        n=n,
        method="difference of two Newcombe risk differences; MOVER interval",
        comparator=concurrent_comparator(control_arm),
        caveats=context,
        details={
            "effect_younger": young_rd.estimate,
            "effect_older": old_rd.estimate,
            "age_cutoff_months": cutoff,
            "control_arm": control_arm,
        },
    )
    if low > 0:
        verdict, reason = (
            Verdict.SUPPORTED,
            text("the effect is larger in younger children beyond its uncertainty"),
        )
    elif high < 0:
        verdict, reason = (
            Verdict.NOT_SUPPORTED,
            text("the effect is larger in older children beyond its uncertainty"),
        )
    else:
        verdict, reason = (
            Verdict.INCONCLUSIVE,
            text("the difference in effect between age groups is within its uncertainty"),
        )
    return ClaimVerdict(
        claim=claim,
        definition=definition_text,
        observed=observed,
        benchmark=None,
        comparison=None,
        verdict=verdict,
        reasons=(reason,),
        caveats=tuple(dict.fromkeys((*context, *young_rd.caveats))),
        comparator=concurrent_comparator(control_arm),
        controlled=True,
    )
