"""Interventions and events: EX (exposure, one row per administration) and AE (adverse
events)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from neuroregen.interop.dataset import Dataset
from neuroregen.interop.sdtm.terms import AE_FLAGS, AEACN, AEOUT, AEREL, AESEV, EXDOSU, EXROUTE
from neuroregen.interop.sdtm.values import iso, sdtm_day
from neuroregen.protocols.choices import ProductType
from neuroregen.safety import choices as sc


def ex_rows(
    dataset: Dataset,
    participant: Any,
    base: dict[str, Any],
    zero: dt.date | None,
    visits: list[Any],
    visitnum: dict[str, float],
) -> list[dict[str, Any]]:
    """One EX row per administration; times on the site's clock, shifted with the child."""
    found = []
    time_zone = participant.site.time_zone
    for seq, a in enumerate(dataset.administrations.get(participant.pk, []), start=1):
        # Shifted on the site's wall clock, so a move across a DST change keeps the hour.
        start = dataset.shift(participant, a.started_at.astimezone(ZoneInfo(time_zone)))
        end = dataset.shift(participant, a.stopped_at.astimezone(ZoneInfo(time_zone)))
        day = a.started_at.astimezone(ZoneInfo(time_zone)).date()
        visit = next((v for v in visits if v.done_on == day), None)
        found.append(
            {
                **base,
                "DOMAIN": "EX",
                "EXSEQ": float(seq),
                "EXREFID": a.container.code,
                "EXSPID": a.code,
                "EXTRT": str(ProductType(a.lot.product_type).label).upper()[:200],
                "EXDOSE": float(a.dose_per_kg),
                "EXDOSU": EXDOSU.get(a.dose_unit, a.dose_unit),
                "EXDOSFRM": "SOLUTION"
                if a.lot.product_type == ProductType.PLACEBO
                else "SUSPENSION",
                "EXROUTE": EXROUTE.get(a.route, a.route.upper()),
                "EXLOT": a.lot.code,
                "VISITNUM": visitnum.get(visit.code, float(visit.target_day)) if visit else None,
                "VISIT": visit.code if visit else "",
                "EXSTDTC": start.strftime("%Y-%m-%dT%H:%M"),
                "EXENDTC": end.strftime("%Y-%m-%dT%H:%M"),
                "EXSTDY": sdtm_day(zero, start.date()),
                "EXENDY": sdtm_day(zero, end.date()),
            }
        )
    return found


def ae_rows(
    dataset: Dataset, participant: Any, base: dict[str, Any], zero: dt.date | None
) -> list[dict[str, Any]]:
    """One AE row per adverse event (seriousness flags Y/N, grade and the CDISC terms)."""
    found = []
    for seq, e in enumerate(dataset.adverse_events.get(participant.pk, []), start=1):
        start = dataset.shift(participant, e.onset_date)
        end = dataset.shift(participant, e.resolution_date)
        coded = bool(e.coded_term)
        action = AEACN.get(e.action_taken, "")
        exact = (
            str(sc.ActionTaken(e.action_taken).label)
            if e.action_taken in sc.ActionTaken.values
            else ""
        )
        found.append(
            {
                **base,
                "DOMAIN": "AE",
                "AESEQ": float(seq),
                "AESPID": e.code,
                "AETERM": e.term,
                "AEDECOD": e.coded_term[:200] if coded else "",
                "AEBODSYS": str(sc.SystemOrganClass(e.soc).label)[:200] if coded else "",
                "AESEV": AESEV.get(e.grade, "SEVERE"),
                "AESER": "Y" if e.is_serious else "N",
                "AEACN": action,
                "AEACNOTH": exact.upper()
                if e.action_taken
                in (
                    sc.ActionTaken.INFUSION_INTERRUPTED,
                    sc.ActionTaken.INFUSION_STOPPED,
                    sc.ActionTaken.FURTHER_DOSING_WITHHELD,
                )
                else "",
                "AEREL": AEREL.get(e.relatedness_product, ""),
                "AEOUT": AEOUT.get(e.outcome, "UNKNOWN"),
                **{flag: "Y" if getattr(e, name) else "N" for flag, name in AE_FLAGS.items()},
                "AETOXGR": str(e.grade),
                "AESTDTC": iso(start),
                "AEENDTC": iso(end),
                "AESTDY": sdtm_day(zero, start),
                "AEENDY": sdtm_day(zero, end),
            }
        )
    return found
