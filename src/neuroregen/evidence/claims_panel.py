"""The claims panel of the programme evidence page: which rows each claim is judged on.

Claims are about treated children. With a concurrent control arm they are judged against it
(``stats.claims_controlled``) and the control children are never counted as "patients";
without one, against a published benchmark that counts the same responder definition, or
against nothing (``stats.claims``). A control arm shown on its own is the comparator, never a
treatment: it gets no claims (see ``analysis.analyse_program``).

The claim data are each child's late-phase value (``analysis.phase_values``); "sustained" is
a responder at every late-phase visit (participants × visits).
"""

from __future__ import annotations

from functools import partial
from typing import Any

import pandas as pd
from django.utils.translation import gettext_noop

from neuroregen.evidence.program_measures import (
    CGI_I_MEASURE,
    RESPONDER_CHOICES,
    _try,
    responder_definition,
)
from neuroregen.stats.claims import (
    CLAIM_LARGER_IN_YOUNGER,
    CLAIM_MAJORITY_IMPROVE,
    CLAIM_SUSTAINED_6_12_MONTHS,
    Claim,
    ClaimVerdict,
    evaluate_claim,
)
from neuroregen.stats.claims_controlled import evaluate_claim_controlled
from neuroregen.stats.text import text

__all__ = ["CONTROL_ARM_NOTE", "program_claims"]

CONTROL_ARM_NOTE = text(
    "this is the concurrent control arm: it is the comparator of the treated arm, not a "
    "treatment, so the programme's claims are not evaluated on it"
)


def _late(outcomes: pd.DataFrame, measure: str, uses_cgi: bool, plan: Any) -> dict[str, Any]:
    from neuroregen.evidence.phase_summary import DEFAULT_PLAN, phase_values

    late = phase_values(outcomes, measure, "late", plan or DEFAULT_PLAN)
    if uses_cgi:
        data: dict[str, Any] = {"cgi_i": late["value"].to_numpy(float)}
    else:
        data = {
            "baseline": late["baseline_value"].to_numpy(float),
            "follow_up": late["value"].to_numpy(float),
        }
    data["ages"] = late["age_months"].to_numpy(float)
    data["_n"] = len(late)
    return data


def _sustained(outcomes: pd.DataFrame, measure: str, uses_cgi: bool) -> dict[str, Any] | None:
    rows = outcomes[(outcomes["measure"] == measure) & (outcomes["phase"] == "late")]
    wide = rows.pivot_table(
        index="study_code", columns="visit_code", values="value", aggfunc="last"
    )
    if wide.empty:
        return None
    if uses_cgi:
        return {"cgi_i": wide.to_numpy(float)}
    base = rows.groupby("study_code")["baseline_value"].first().reindex(wide.index)
    return {"baseline": base.to_numpy(float), "follow_up": wide.to_numpy(float)}


def _args(claim: Claim, data: dict[str, Any]) -> dict[str, Any]:
    keep = ("cgi_i", "baseline", "follow_up")
    out = {k: v for k, v in data.items() if k in keep}
    if claim is CLAIM_LARGER_IN_YOUNGER:
        out["ages"] = data["ages"]
    return out


def program_claims(
    outcomes: pd.DataFrame,
    key: str,
    primary: str,
    meta: Any,
    synthetic: bool,
    confidence: float,
    *,
    control_outcomes: pd.DataFrame | None = None,
    control_arm: str = "",
    plan: Any = None,
) -> tuple[list[ClaimVerdict], list[str]]:
    """The claim verdicts for the treated children (``outcomes``), against the control arm's
    children (``control_outcomes``) when the protocol has one."""
    notes: list[str] = []
    choice = RESPONDER_CHOICES[key]
    if not choice.uses_cgi and meta is None:
        return [], [text("no outcome measure to evaluate the claims on")]
    definition = (
        responder_definition(key)
        if choice.uses_cgi
        else _try(lambda: responder_definition(key, meta), notes, gettext_noop("definition"))
    )
    if definition is None:
        return [], notes
    measure = CGI_I_MEASURE if choice.uses_cgi else primary
    caregiver = bool((outcomes.loc[outcomes["measure"] == measure, "respondent"] == "parent").any())
    late = _late(outcomes, measure, choice.uses_cgi, plan)
    if not late["_n"]:
        return [], [text("no late-phase (6–12 months) data: the claims cannot be evaluated yet")]
    common: dict[str, Any] = {
        "synthetic": synthetic,
        "caregiver_rated": caregiver,
        "confidence": confidence,
    }
    controlled = control_outcomes is not None
    control_late = _late(control_outcomes, measure, choice.uses_cgi, plan) if controlled else None
    if controlled and not control_late["_n"]:  # type: ignore[index]
        return [], [
            text(
                "no late-phase data in the control arm {arm}: claims not evaluated",
                arm=control_arm,
            )
        ]
    sustained = _sustained(outcomes, measure, choice.uses_cgi)
    control_sustained = (
        _sustained(control_outcomes, measure, choice.uses_cgi) if controlled else None
    )
    verdicts: list[ClaimVerdict] = []
    for claim in (CLAIM_MAJORITY_IMPROVE, CLAIM_SUSTAINED_6_12_MONTHS, CLAIM_LARGER_IN_YOUNGER):
        treated = sustained if claim is CLAIM_SUSTAINED_6_12_MONTHS else late
        control = control_sustained if claim is CLAIM_SUSTAINED_6_12_MONTHS else control_late
        if treated is None or (controlled and control is None):
            continue
        judge = partial(_judge, claim, definition, treated, control, control_arm, common)
        v = _try(judge, notes, claim.text)
        if v is not None:
            verdicts.append(v)
    return verdicts, notes


def _judge(
    claim: Claim,
    definition: Any,
    treated: dict[str, Any],
    control: dict[str, Any] | None,
    control_arm: str,
    common: dict[str, Any],
) -> ClaimVerdict:
    if control is None:
        return evaluate_claim(claim, definition, **_args(claim, treated), **common)
    return evaluate_claim_controlled(
        claim,
        definition,
        treated=_args(claim, treated),
        control=_args(claim, control),
        control_arm=control_arm,
        **common,
    )
