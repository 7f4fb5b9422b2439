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
    return {
        **base,
        "DOMAIN": "DM",
        "SUBJID": participant.study_code,
        "RFSTDTC": iso(zero),
        "RFENDTC": "",  # the end of the last administration's day, set with the EX rows
        "RFXSTDTC": iso(zero),
        "RFXENDTC": "",  # the end of the last administration, set with the EX rows
        "RFICDTC": iso(dataset.shift(participant, consented)),
        "RFPENDTC": "",  # the subject's last date in any domain, set once all rows are in
        "DTHDTC": "",  # from a fatal adverse event, set with the AE rows
        "DTHFL": "",
        "SITEID": participant.site.code,
        "BRTHDTC": iso(dataset.shift(participant, identity.birth_date)) if identity else "",
        "AGE": float(participant.age_months_at_screening),
        "AGEU": "MONTHS",
        "SEX": participant.sex,
        "RACE": "",  # not collected by the registry
        **arm_values(assignment, dataset.administrations.get(participant.pk, [])),
        "COUNTRY": ALPHA3.get(participant.country, participant.country),
    }


def arm_values(assignment: Any, administrations: list[Any]) -> dict[str, str]:
    """ARMCD, ARM, ACTARMCD, ACTARM, ARMNRS and ACTARMUD as SDTMIG 3.3+ has them.

    Since SDTMIG 3.3 an arm that does not apply is null (the old pseudo-codes ``NOTASSGN``,
    ``SCRNFAIL`` and ``NOTTRT`` are no longer used) and ARMNRS says why (CT ARMNULRS): "SCREEN
    FAILURE" for a child found not eligible, "NOT ASSIGNED" for one awaiting or declined
    allocation, "ASSIGNED, NOT TREATED" for one allocated and not dosed, "UNPLANNED TREATMENT"
    (with ACTARMUD describing it) for one dosed on more than one arm.
    """
    arm = assignment.arm
    values = dict.fromkeys(("ARMCD", "ARM", "ACTARMCD", "ACTARM", "ARMNRS", "ACTARMUD"), "")
    if arm is None:
        values["ARMNRS"] = "NOT ASSIGNED" if assignment.eligible else "SCREEN FAILURE"
        return values
    values["ARMCD"], values["ARM"] = arm_code(arm), arm.name
    given = {a.arm_id: a.arm for a in administrations if a.arm_id}
    if not assignment.day_zero and not given:
        values["ARMNRS"] = "ASSIGNED, NOT TREATED"
    elif len(given) > 1:
        values["ARMNRS"] = "UNPLANNED TREATMENT"
        values["ACTARMUD"] = " then ".join(
            dict.fromkeys(a.arm.name for a in administrations if a.arm_id)
        )[:200]
    else:
        actual = next(iter(given.values()), arm)
        values["ACTARMCD"], values["ACTARM"] = arm_code(actual), actual.name
    return values


def arm_code(arm: Any) -> str:
    """ARMCD: the arm's code, upper case, at most 20 characters."""
    return str(arm.code).upper()[:20]


def allocated_on(assignment: Any) -> dt.date | None:
    """The allocation date: the day the protocol's rules allocated the arm (``evaluated_on``,
    a date on the site's calendar) for an allocation the investigator confirmed.

    Not ``confirmed_at``: that is when the confirmation was entered and signed, which for a
    child whose dosing is entered afterwards (and in the synthetic registry, built in one go)
    falls after the first dose.
    """
    if assignment.arm is None or assignment.confirmed_at is None:
        return None
    return assignment.evaluated_on


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
    allocated = allocated_on(assignment)
    if allocated is not None:
        ds.append(
            (
                "RANDOMIZED",
                "PROTOCOL MILESTONE",
                allocated,
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
