"""The participant profile that eligibility and personalisation rules read (``rules.FIELDS``).

Built from the registry (participant, comorbidities, latest weight, consents, withdrawals) plus
screening facts the investigator states at evaluation time and the registry does not hold yet
(coagulopathy, prior cell therapy). The profile is stored with the recommendation, so the
reasons shown later are the reasons that were true then.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from neuroregen.participants import choices as pc
from neuroregen.participants.validators import age_in_months

FACT_FIELDS = ("coagulopathy", "prior_cell_therapy")


def latest_weight(participant: Any, on: dt.date | None = None) -> Any:
    """The most recent anthropometry row (on or before ``on``), or None."""
    qs = participant.anthropometry.all()
    if on is not None:
        qs = qs.filter(measured_on__lte=on)
    return qs.order_by("-measured_on", "-pk").first()


def _age_months(participant: Any, on: dt.date) -> int:
    identity = getattr(participant, "identity", None)
    if identity is not None:
        return age_in_months(identity.birth_date, on)
    # Without identity: age at screening plus whole months since.
    return participant.age_months_at_screening + max(0, age_in_months(participant.screened_on, on))


def participant_profile(
    participant: Any, *, on: dt.date, facts: dict[str, Any] | None = None
) -> dict[str, Any]:
    facts = facts or {}
    comorbidities = list(participant.comorbidities.all())
    epilepsy = next((x for x in comorbidities if x.condition == pc.Comorbidity.EPILEPSY), None)
    weight = latest_weight(participant, on)
    withdrawn = participant.withdrawals.filter(effective_on__lte=on).exists()
    consent_kinds = (
        sorted(
            {
                consent.document.kind
                for consent in participant.consents.select_related("document").filter(
                    signed_on__lte=on
                )
            }
        )
        if not withdrawn
        else []
    )
    months = _age_months(participant, on)
    profile: dict[str, Any] = {
        "age_months": months,
        "age_years": round(months / 12, 2),
        "sex": participant.sex,
        "dsm5_severity": participant.dsm5_severity,
        "genetic_finding": participant.genetic_finding,
        "syndrome": participant.syndrome,
        "comorbidities": sorted(x.condition for x in comorbidities),
        "epilepsy_control": epilepsy.seizure_control if epilepsy else "",
        "uncontrolled_epilepsy": bool(
            epilepsy and epilepsy.seizure_control == pc.SeizureControl.UNCONTROLLED
        ),
        "weight_kg": float(weight.weight_kg) if weight else None,
        "therapy_hours_per_week": float(Decimal(participant.therapy_hours_per_week)),
        "consent_scope": consent_kinds,
        "consent_withdrawn": withdrawn,
    }
    for name in FACT_FIELDS:
        value = facts.get(name)
        profile[name] = None if value is None else bool(value)
    return profile
