"""Special-purpose domains of each child: DM (demographics), DS (disposition), SV (visits)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from neuroregen.interop.dataset import Dataset
from neuroregen.interop.sdtm.terms import ALPHA3
from neuroregen.interop.sdtm.values import iso, sdtm_day
from neuroregen.participants.choices import WithdrawalScope


def dm_row(
    dataset: Dataset,
    participant: Any,
    base: dict[str, Any],
    assignment: Any,
    zero: dt.date | None,
    consented: dt.date | None,
) -> dict[str, Any]:
    """The child's DM row; ``RFXENDTC`` is set by the caller from the EX rows."""
    identity = dataset.identities.get(participant.pk)
    arm = assignment.arm
    return {
        **base,
        "DOMAIN": "DM",
        "SUBJID": participant.study_code,
        "RFSTDTC": iso(zero),
        "RFXSTDTC": iso(zero),
        "RFXENDTC": "",  # the end of the last administration, set with the EX rows
        "RFICDTC": iso(dataset.shift(participant, consented)),
        "SITEID": participant.site.code,
        "BRTHDTC": iso(dataset.shift(participant, identity.birth_date)) if identity else "",
        "AGE": float(participant.age_months_at_screening),
        "AGEU": "MONTHS",
        "SEX": participant.sex,
        "ARMCD": arm.code.upper()[:20] if arm else "",
        "ARM": arm.name if arm else "",
        "ACTARMCD": arm.code.upper()[:20] if arm and assignment.day_zero else "",
        "ACTARM": arm.name if arm and assignment.day_zero else "",
        "COUNTRY": ALPHA3.get(participant.country, participant.country),
    }


def ds_rows(
    dataset: Dataset,
    participant: Any,
    base: dict[str, Any],
    assignment: Any,
    zero: dt.date | None,
    consented: dt.date | None,
) -> list[dict[str, Any]]:
    """Consent, assignment and withdrawals (not a withdrawal of data: those children are out)."""
    ds: list[tuple[str, str, dt.date | None, Any]] = [
        ("INFORMED CONSENT OBTAINED", "PROTOCOL MILESTONE", consented, "Informed consent obtained")
    ]
    if assignment.confirmed_at:
        ds.append(
            (
                "RANDOMIZED",
                "PROTOCOL MILESTONE",
                assignment.confirmed_at.date(),
                "Assigned to arm (personalised, not random)",
            )
        )
    for withdrawal in dataset.withdrawals.get(participant.pk, []):
        if withdrawal.scope != WithdrawalScope.WITHDRAW_DATA:
            ds.append(
                (
                    "WITHDRAWAL BY PARENT/GUARDIAN",
                    "DISPOSITION EVENT",
                    withdrawal.effective_on,
                    withdrawal.get_scope_display(),
                )
            )
    return [
        {
            **base,
            "DOMAIN": "DS",
            "DSSEQ": float(seq),
            "DSTERM": str(term),
            "DSDECOD": decod,
            "DSCAT": cat,
            "DSSTDTC": iso(dataset.shift(participant, on)),
            "DSSTDY": sdtm_day(zero, dataset.shift(participant, on)),
        }
        for seq, (decod, cat, on, term) in enumerate(ds, start=1)
    ]


def sv_rows(
    dataset: Dataset,
    participant: Any,
    base: dict[str, Any],
    zero: dt.date | None,
    visits: list[Any],
    visitnum: dict[str, float],
) -> list[dict[str, Any]]:
    """One SV row per visit done (a visit takes one day)."""
    found = []
    for visit in visits:
        if visit.done_on:
            on = dataset.shift(participant, visit.done_on)
            found.append(
                {
                    **base,
                    "DOMAIN": "SV",
                    "VISITNUM": visitnum.get(visit.code, float(visit.target_day)),
                    "VISIT": visit.code,
                    "SVSTDTC": iso(on),
                    "SVENDTC": iso(on),
                    "SVSTDY": sdtm_day(zero, on),
                    "SVENDY": sdtm_day(zero, on),
                }
            )
    return found
