"""SDTM domains DM, QS, LB, SV, DS, EX and AE as SAS XPT version 5, and our own conformance
checks.

Conventions (SDTMIG 3.x):

- ``USUBJID`` = study code prefixed by the study id; ``SUBJID`` = study code; ``SITEID`` = site.
- ``RFXENDTC`` = the end of the last administration (the latest ``EXENDTC``); empty before any.
- ``RFSTDTC``/``RFXSTDTC`` = day 0 (first administration). SDTM study days have **no day 0**:
  ``--DY`` = date − RFSTDTC + 1 on or after the reference date, date − RFSTDTC before it
  (our own study day, with day 0, is kept in the REDCap/tidy exports).
- Dates are ISO 8601 (``YYYY-MM-DD``; times as ``YYYY-MM-DDThh:mm``), shifted when asked.
  Administration times are the site's local clock time, so their study day is the site's day.
- ``--TESTCD`` ≤ 8 characters, starting with a letter; ``--TEST`` ≤ 40; variable names ≤ 8,
  labels ≤ 40, character values ≤ 200 bytes (XPT v5 limits).
- Birth date (``BRTHDTC``) is only filled when an administrator included identity.
- EX: one row per administration on an arm of the protocol. ``EXTRT`` is the product,
  ``EXDOSE``/``EXDOSU`` the dose per kg given (``cells/kg`` …), ``EXDOSFRM`` ``SUSPENSION``
  (``SOLUTION`` for a vehicle), ``EXROUTE`` the CDISC route term (``INTRAVENOUS``,
  ``INTRATHECAL``, ``NASAL``), ``EXLOT`` the lot's chain-of-identity code, ``EXREFID`` the
  container's and ``EXSPID`` the administration's; ``VISIT`` the visit done that day.
- AE: one row per adverse event. ``AEDECOD`` and ``AEBODSYS`` are filled only when the term
  was coded (a MedDRA licence is the site's), so AEDECOD is not checked as required here.
  ``AESEV`` comes from the CTCAE grade (1 mild, 2 moderate, ≥ 3 severe) and ``AETOXGR`` keeps
  the grade itself; ``AEREL`` is relatedness to the product (relatedness to the procedure has
  no standard variable and stays in our own exports); ``AEACN`` maps our action to the CDISC
  ACN terms with the exact action in ``AEACNOTH`` where the term is coarser.
- Conformance (:func:`conformance`): variables present, in order, required ones filled;
  ``--SEQ`` unique per subject; ISO dates; controlled terms; test codes; 200-byte values;
  every ``--DY`` equal to its date's SDTM day and never 0; an end never before its start;
  AESER ``Y`` exactly when a seriousness flag is ``Y``; grade 5 exactly when fatal.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from django.utils import translation

from neuroregen.biomarkers.catalogue import ANALYTES
from neuroregen.instruments.choices import ResponseStatus
from neuroregen.interop.dataset import Dataset
from neuroregen.participants.choices import WithdrawalScope
from neuroregen.protocols.choices import ProductType
from neuroregen.safety import choices as sc

ALPHA3 = {
    "UA": "UKR",
    "GB": "GBR",
    "US": "USA",
    "KZ": "KAZ",
    "RU": "RUS",
    "PL": "POL",
    "DE": "DEU",
    "FR": "FRA",
    "IT": "ITA",
    "ES": "ESP",
    "IL": "ISR",
    "CA": "CAN",
    "AU": "AUS",
    "IN": "IND",
    "CN": "CHN",
    "JP": "JPN",
    "TR": "TUR",
    "GE": "GEO",
    "MD": "MDA",
    "BY": "BLR",
    "LT": "LTU",
    "LV": "LVA",
    "EE": "EST",
    "CZ": "CZE",
    "SK": "SVK",
    "RO": "ROU",
    "NL": "NLD",
    "BE": "BEL",
    "AT": "AUT",
    "CH": "CHE",
    "SE": "SWE",
    "NO": "NOR",
    "FI": "FIN",
    "DK": "DNK",
    "PT": "PRT",
    "AE": "ARE",
    "PA": "PAN",
    "MX": "MEX",
    "BR": "BRA",
    "AR": "ARG",
}
SPEC = {"plasma": "PLASMA", "serum": "SERUM", "csf": "CEREBROSPINAL FLUID"}
LBTESTCD = {
    "il6": "IL6",
    "tnfa": "TNFA",
    "il1b": "IL1B",
    "il10": "IL10",
    "ifng": "INTLKNG",
    "crp": "CRP",
}
CONTROLLED = {
    "SEX": {"M", "F", "U", "UNDIFFERENTIATED"},
    "AGEU": {"YEARS", "MONTHS", "WEEKS", "DAYS"},
    "DSCAT": {"PROTOCOL MILESTONE", "DISPOSITION EVENT"},
    "DSDECOD": {
        "INFORMED CONSENT OBTAINED",
        "RANDOMIZED",
        "SCREEN FAILURE",
        "WITHDRAWAL BY PARENT/GUARDIAN",
        "COMPLETED",
    },
    "QSSTAT": {"", "NOT DONE"},
    "LBSTAT": {"", "NOT DONE"},
    "EXROUTE": {"INTRAVENOUS", "INTRATHECAL", "NASAL"},
    "EXDOSFRM": {"SUSPENSION", "SOLUTION"},
    "EXDOSU": {"cells/kg", "particles/kg", "ug/kg", "mL/kg"},
    "AESEV": {"MILD", "MODERATE", "SEVERE"},
    "AETOXGR": {"1", "2", "3", "4", "5"},
    "AESER": {"Y", "N"},
    "AEACN": {"DOSE NOT CHANGED", "DRUG INTERRUPTED", "DRUG WITHDRAWN", "NOT APPLICABLE"},
    "AEREL": {"NOT RELATED", "UNLIKELY RELATED", "POSSIBLY RELATED", "PROBABLY RELATED", "RELATED"},
    "AEOUT": {
        "RECOVERED/RESOLVED",
        "RECOVERED/RESOLVED WITH SEQUELAE",
        "RECOVERING/RESOLVING",
        "NOT RECOVERED/NOT RESOLVED",
        "FATAL",
        "UNKNOWN",
    },
    **{flag: {"Y", "N"} for flag in ("AESCONG", "AESDISAB", "AESDTH", "AESHOSP", "AESLIFE")},
    "AESMIE": {"Y", "N"},
}
# CDISC ROUTE terms for our routes (intranasal is "NASAL" in the codelist).
EXROUTE = {"iv": "INTRAVENOUS", "it": "INTRATHECAL", "in": "NASAL"}
EXDOSU = {
    "cells_per_kg": "cells/kg",
    "particles_per_kg": "particles/kg",
    "ug_per_kg": "ug/kg",
    "ml_per_kg": "mL/kg",
}
AESEV = {1: "MILD", 2: "MODERATE"}  # grade 3, 4 and 5: SEVERE
AEREL = {
    sc.Relatedness.NOT_RELATED: "NOT RELATED",
    sc.Relatedness.UNLIKELY: "UNLIKELY RELATED",
    sc.Relatedness.POSSIBLE: "POSSIBLY RELATED",
    sc.Relatedness.PROBABLE: "PROBABLY RELATED",
    sc.Relatedness.DEFINITE: "RELATED",
}
AEACN = {
    sc.ActionTaken.NONE: "DOSE NOT CHANGED",
    sc.ActionTaken.DOSE_NOT_CHANGED: "DOSE NOT CHANGED",
    sc.ActionTaken.INFUSION_INTERRUPTED: "DRUG INTERRUPTED",
    sc.ActionTaken.INFUSION_STOPPED: "DRUG WITHDRAWN",
    sc.ActionTaken.FURTHER_DOSING_WITHHELD: "DRUG INTERRUPTED",
    sc.ActionTaken.WITHDRAWN: "DRUG WITHDRAWN",
    sc.ActionTaken.NOT_APPLICABLE: "NOT APPLICABLE",
}
AEOUT = {
    sc.Outcome.RECOVERED: "RECOVERED/RESOLVED",
    sc.Outcome.RECOVERED_WITH_SEQUELAE: "RECOVERED/RESOLVED WITH SEQUELAE",
    sc.Outcome.RECOVERING: "RECOVERING/RESOLVING",
    sc.Outcome.NOT_RECOVERED: "NOT RECOVERED/NOT RESOLVED",
    sc.Outcome.FATAL: "FATAL",
    sc.Outcome.UNKNOWN: "UNKNOWN",
}
# Seriousness flags in SDTMIG order, with the model field each comes from.
AE_FLAGS = {
    "AESCONG": "serious_congenital_anomaly",
    "AESDISAB": "serious_disability",
    "AESDTH": "serious_death",
    "AESHOSP": "serious_hospitalisation",
    "AESLIFE": "serious_life_threatening",
    "AESMIE": "serious_important_medical_event",
}


@dataclass(frozen=True)
class Var:
    name: str
    label: str
    required: bool = False  # "Req" in the SDTMIG: never empty


DOMAINS: dict[str, tuple[str, list[Var]]] = {
    "DM": (
        "Demographics",
        [
            Var("STUDYID", "Study Identifier", True),
            Var("DOMAIN", "Domain Abbreviation", True),
            Var("USUBJID", "Unique Subject Identifier", True),
            Var("SUBJID", "Subject Identifier for the Study", True),
            Var("RFSTDTC", "Subject Reference Start Date/Time"),
            Var("RFXSTDTC", "Date/Time of First Study Treatment"),
            Var("RFXENDTC", "Date/Time of Last Study Treatment"),
            Var("RFICDTC", "Date/Time of Informed Consent"),
            Var("SITEID", "Study Site Identifier", True),
            Var("BRTHDTC", "Date/Time of Birth"),
            Var("AGE", "Age"),
            Var("AGEU", "Age Units"),
            Var("SEX", "Sex", True),
            Var("ARMCD", "Planned Arm Code"),
            Var("ARM", "Description of Planned Arm"),
            Var("ACTARMCD", "Actual Arm Code"),
            Var("ACTARM", "Description of Actual Arm"),
            Var("COUNTRY", "Country", True),
        ],
    ),
    "QS": (
        "Questionnaires",
        [
            Var("STUDYID", "Study Identifier", True),
            Var("DOMAIN", "Domain Abbreviation", True),
            Var("USUBJID", "Unique Subject Identifier", True),
            Var("QSSEQ", "Sequence Number", True),
            Var("QSTESTCD", "Question Short Name", True),
            Var("QSTEST", "Question Name", True),
            Var("QSCAT", "Category of Question", True),
            Var("QSSCAT", "Subcategory for Question"),
            Var("QSORRES", "Finding in Original Units"),
            Var("QSSTRESC", "Character Result/Finding in Std Format"),
            Var("QSSTRESN", "Numeric Finding in Standard Units"),
            Var("QSSTAT", "Completion Status"),
            Var("QSREASND", "Reason Not Performed"),
            Var("VISITNUM", "Visit Number"),
            Var("VISIT", "Visit Name"),
            Var("QSDTC", "Date/Time of Finding"),
            Var("QSDY", "Study Day of Finding"),
        ],
    ),
    "LB": (
        "Laboratory Test Results",
        [
            Var("STUDYID", "Study Identifier", True),
            Var("DOMAIN", "Domain Abbreviation", True),
            Var("USUBJID", "Unique Subject Identifier", True),
            Var("LBSEQ", "Sequence Number", True),
            Var("LBTESTCD", "Lab Test or Examination Short Name", True),
            Var("LBTEST", "Lab Test or Examination Name", True),
            Var("LBCAT", "Category for Lab Test"),
            Var("LBORRES", "Result or Finding in Original Units"),
            Var("LBORRESU", "Original Units"),
            Var("LBSTRESC", "Character Result/Finding in Std Format"),
            Var("LBSTRESN", "Numeric Result/Finding in Standard Units"),
            Var("LBSTRESU", "Standard Units"),
            Var("LBSPEC", "Specimen Type"),
            Var("LBMETHOD", "Method of Test or Examination"),
            Var("LBLLOQ", "Lower Limit of Quantitation"),
            Var("VISITNUM", "Visit Number"),
            Var("VISIT", "Visit Name"),
            Var("LBDTC", "Date/Time of Specimen Collection"),
            Var("LBDY", "Study Day of Specimen Collection"),
        ],
    ),
    "SV": (
        "Subject Visits",
        [
            Var("STUDYID", "Study Identifier", True),
            Var("DOMAIN", "Domain Abbreviation", True),
            Var("USUBJID", "Unique Subject Identifier", True),
            Var("VISITNUM", "Visit Number", True),
            Var("VISIT", "Visit Name"),
            Var("SVSTDTC", "Start Date/Time of Visit"),
            Var("SVENDTC", "End Date/Time of Visit"),
            Var("SVSTDY", "Study Day of Start of Visit"),
            Var("SVENDY", "Study Day of End of Visit"),
        ],
    ),
    "DS": (
        "Disposition",
        [
            Var("STUDYID", "Study Identifier", True),
            Var("DOMAIN", "Domain Abbreviation", True),
            Var("USUBJID", "Unique Subject Identifier", True),
            Var("DSSEQ", "Sequence Number", True),
            Var("DSTERM", "Reported Term for the Disposition Event", True),
            Var("DSDECOD", "Standardized Disposition Term", True),
            Var("DSCAT", "Category for Disposition Event"),
            Var("DSSTDTC", "Start Date/Time of Disposition Event"),
            Var("DSSTDY", "Study Day of Start of Disposition Event"),
        ],
    ),
    "EX": (
        "Exposure",
        [
            Var("STUDYID", "Study Identifier", True),
            Var("DOMAIN", "Domain Abbreviation", True),
            Var("USUBJID", "Unique Subject Identifier", True),
            Var("EXSEQ", "Sequence Number", True),
            Var("EXREFID", "Reference ID"),
            Var("EXSPID", "Sponsor-Defined Identifier"),
            Var("EXTRT", "Name of Treatment", True),
            Var("EXDOSE", "Dose"),
            Var("EXDOSU", "Dose Units"),
            Var("EXDOSFRM", "Dose Form"),
            Var("EXROUTE", "Route of Administration"),
            Var("EXLOT", "Lot Number"),
            Var("VISITNUM", "Visit Number"),
            Var("VISIT", "Visit Name"),
            Var("EXSTDTC", "Start Date/Time of Treatment", True),
            Var("EXENDTC", "End Date/Time of Treatment"),
            Var("EXSTDY", "Study Day of Start of Treatment"),
            Var("EXENDY", "Study Day of End of Treatment"),
        ],
    ),
    "AE": (
        "Adverse Events",
        [
            Var("STUDYID", "Study Identifier", True),
            Var("DOMAIN", "Domain Abbreviation", True),
            Var("USUBJID", "Unique Subject Identifier", True),
            Var("AESEQ", "Sequence Number", True),
            Var("AESPID", "Sponsor-Defined Identifier"),
            Var("AETERM", "Reported Term for the Adverse Event", True),
            Var("AEDECOD", "Dictionary-Derived Term"),
            Var("AEBODSYS", "Body System or Organ Class"),
            Var("AESEV", "Severity/Intensity"),
            Var("AESER", "Serious Event"),
            Var("AEACN", "Action Taken with Study Treatment"),
            Var("AEACNOTH", "Other Action Taken"),
            Var("AEREL", "Causality"),
            Var("AEOUT", "Outcome of Adverse Event"),
            Var("AESCONG", "Congenital Anomaly or Birth Defect"),
            Var("AESDISAB", "Persist or Signif Disability/Incapacity"),
            Var("AESDTH", "Results in Death"),
            Var("AESHOSP", "Requires or Prolongs Hospitalization"),
            Var("AESLIFE", "Is Life Threatening"),
            Var("AESMIE", "Other Medically Important Serious Event"),
            Var("AETOXGR", "Standard Toxicity Grade"),
            Var("AESTDTC", "Start Date/Time of Adverse Event", True),
            Var("AEENDTC", "End Date/Time of Adverse Event"),
            Var("AESTDY", "Study Day of Start of Adverse Event"),
            Var("AEENDY", "Study Day of End of Adverse Event"),
        ],
    ),
}


def sdtm_day(reference: dt.date | None, on: dt.date | None) -> int | None:
    """SDTM study day: no day 0 (day 1 is the reference date).

    >>> sdtm_day(dt.date(2026, 1, 10), dt.date(2026, 1, 10)), sdtm_day(dt.date(2026, 1, 10),
    ...     dt.date(2026, 1, 9))
    (1, -1)
    """
    if reference is None or on is None:
        return None
    delta = (on - reference).days
    return delta + 1 if delta >= 0 else delta


def testcd(name: str, taken: set[str], prefix: str) -> str:
    """An 8-character test code for a field or score name, unique within the domain."""
    base = re.sub(r"[^A-Z0-9]", "", name.upper())
    if not base or not base[0].isalpha():
        base = "Q" + base
    candidate = base[:8]
    n = 1
    while candidate in taken:
        candidate = f"{prefix[:4].upper()}{n:04d}"[:8]
        n += 1
    taken.add(candidate)
    return candidate


def _iso(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M")
    return value.isoformat()


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def build_domains(dataset: Dataset) -> dict[str, pd.DataFrame]:
    """The SDTM domains as data frames (columns in SDTMIG order)."""
    # Submission values are English whatever language the person exporting reads.
    with translation.override("en"):
        return _build_domains(dataset)


def _build_domains(dataset: Dataset) -> dict[str, pd.DataFrame]:
    study = dataset.protocol.code
    rows: dict[str, list[dict[str, Any]]] = {k: [] for k in DOMAINS}
    visitnum = {d.code: float(i) for i, d in enumerate(dataset.definitions, start=1)}
    qs_codes: dict[tuple[str, str], str] = {}
    taken: set[str] = set()
    for participant in dataset.participants:
        usubjid = f"{study}-{participant.study_code}"
        base = {"STUDYID": study, "USUBJID": usubjid}
        assignment = dataset.assignments[participant.pk]
        zero = dataset.shift(participant, assignment.day_zero)
        consents = [c.signed_on for c in participant.consents.all()]
        identity = dataset.identities.get(participant.pk)
        arm = assignment.arm
        rows["DM"].append(
            {
                **base,
                "DOMAIN": "DM",
                "SUBJID": participant.study_code,
                "RFSTDTC": _iso(zero),
                "RFXSTDTC": _iso(zero),
                "RFXENDTC": "",  # the end of the last administration, set with the EX rows
                "RFICDTC": _iso(dataset.shift(participant, min(consents) if consents else None)),
                "SITEID": participant.site.code,
                "BRTHDTC": _iso(dataset.shift(participant, identity.birth_date))
                if identity
                else "",
                "AGE": float(participant.age_months_at_screening),
                "AGEU": "MONTHS",
                "SEX": participant.sex,
                "ARMCD": arm.code.upper()[:20] if arm else "",
                "ARM": arm.name if arm else "",
                "ACTARMCD": arm.code.upper()[:20] if arm and assignment.day_zero else "",
                "ACTARM": arm.name if arm and assignment.day_zero else "",
                "COUNTRY": ALPHA3.get(participant.country, participant.country),
            }
        )
        ds = [
            (
                "INFORMED CONSENT OBTAINED",
                "PROTOCOL MILESTONE",
                min(consents) if consents else None,
                "Informed consent obtained",
            )
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
        for seq, (decod, cat, on, term) in enumerate(ds, start=1):
            rows["DS"].append(
                {
                    **base,
                    "DOMAIN": "DS",
                    "DSSEQ": float(seq),
                    "DSTERM": str(term),
                    "DSDECOD": decod,
                    "DSCAT": cat,
                    "DSSTDTC": _iso(dataset.shift(participant, on)),
                    "DSSTDY": sdtm_day(zero, dataset.shift(participant, on)),
                }
            )
        qs_seq = 0
        for visit in dataset.visits.get(participant.pk, []):
            vnum = visitnum.get(visit.code, float(visit.target_day))
            if visit.done_on:
                on = dataset.shift(participant, visit.done_on)
                rows["SV"].append(
                    {
                        **base,
                        "DOMAIN": "SV",
                        "VISITNUM": vnum,
                        "VISIT": visit.code,
                        "SVSTDTC": _iso(on),
                        "SVENDTC": _iso(on),
                        "SVSTDY": sdtm_day(zero, on),
                        "SVENDY": sdtm_day(zero, on),
                    }
                )
            for response in dataset.responses.get(visit.pk, []):
                code = response.instrument.code
                on = dataset.shift(participant, response.answered_on)
                common = {
                    **base,
                    "DOMAIN": "QS",
                    "QSCAT": response.instrument.title[:40].upper(),
                    "VISITNUM": vnum,
                    "VISIT": visit.code,
                    "QSDTC": _iso(on),
                    "QSDY": sdtm_day(zero, on),
                }
                if response.status == ResponseStatus.NOT_DONE:
                    qs_seq += 1
                    key = (code, "ALL")
                    qs_codes.setdefault(key, testcd(f"{code}ALL", taken, code))
                    rows["QS"].append(
                        {
                            **common,
                            "QSSEQ": float(qs_seq),
                            "QSTESTCD": qs_codes[key],
                            "QSTEST": f"{code} all questions"[:40],
                            "QSSTAT": "NOT DONE",
                            "QSREASND": response.not_done_reason[:200],
                        }
                    )
                    continue
                for name, kind, value in _qs_values(response):
                    qs_seq += 1
                    key = (code, name)
                    qs_codes.setdefault(key, testcd(name, taken, code))
                    missing = response.missing.get(name, "")
                    rows["QS"].append(
                        {
                            **common,
                            "QSSEQ": float(qs_seq),
                            "QSTESTCD": qs_codes[key],
                            "QSTEST": name[:40],
                            "QSSCAT": kind,
                            "QSORRES": "" if missing else str(value),
                            "QSSTRESC": "" if missing else str(value),
                            "QSSTRESN": None if missing else _number(value),
                            "QSSTAT": "NOT DONE" if missing else "",
                            "QSREASND": missing,
                        }
                    )
        for seq, m in enumerate(dataset.measurements.get(participant.pk, []), start=1):
            analyte = ANALYTES[m.analyte]
            on = dataset.shift(participant, m.collected_at)
            visit = next(
                (
                    v
                    for vs in [dataset.visits.get(participant.pk, [])]
                    for v in vs
                    if v.pk == m.visit_id
                ),
                None,
            )
            rows["LB"].append(
                {
                    **base,
                    "DOMAIN": "LB",
                    "LBSEQ": float(seq),
                    "LBTESTCD": LBTESTCD.get(m.analyte, m.analyte.upper()[:8]),
                    "LBTEST": analyte.name[:40],
                    "LBCAT": analyte.kind.upper(),
                    "LBORRES": m.reported_value,
                    "LBORRESU": m.reported_unit,
                    "LBSTRESC": "" if m.value is None else str(m.value.normalize()),
                    "LBSTRESN": None if m.value is None or m.censored else float(m.value),
                    "LBSTRESU": m.unit,
                    "LBSPEC": SPEC.get(m.matrix, m.matrix.upper()),
                    "LBMETHOD": m.assay[:200].upper(),
                    "LBLLOQ": None if m.lloq is None else float(m.lloq),
                    "VISITNUM": visitnum.get(visit.code) if visit else None,
                    "VISIT": visit.code if visit else "",
                    "LBDTC": _iso(on),
                    "LBDY": sdtm_day(zero, on.date() if on else None),
                }
            )
        visits = dataset.visits.get(participant.pk, [])
        exposures = _ex_rows(dataset, participant, base, zero, visits, visitnum)
        if exposures:
            rows["DM"][-1]["RFXENDTC"] = max(e["EXENDTC"] for e in exposures)
        rows["EX"].extend(exposures)
        rows["AE"].extend(_ae_rows(dataset, participant, base, zero))
    frames = {}
    for domain, (_label, variables) in DOMAINS.items():
        frame = pd.DataFrame(rows[domain], columns=[v.name for v in variables])
        frames[domain] = frame
    return frames


def _ex_rows(
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


def _ae_rows(
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
                "AETERM": e.term[:200],
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
                "AESTDTC": _iso(start),
                "AEENDTC": _iso(end),
                "AESTDY": sdtm_day(zero, start),
                "AEENDY": sdtm_day(zero, end),
            }
        )
    return found


def _qs_values(response: Any) -> Iterable[tuple[str, str, Any]]:
    for name in sorted(set(response.answers) | set(response.missing)):
        value = response.answers.get(name, "")
        if isinstance(value, list):
            value = "|".join(value)
        if value == "" and name not in response.missing:
            continue
        yield name, "ITEM", value
    for code, score in sorted(response.scores.items()):
        value = score.get("value") if isinstance(score, dict) else score
        if value is not None:
            yield code, "SCORE", value


def _xpt_ready(frame: pd.DataFrame, variables: list[Var]) -> pd.DataFrame:
    frame = frame.copy()
    for column in frame.columns:
        if frame[column].dtype == object:
            numeric = all(v is None or isinstance(v, float | int) for v in frame[column])
            if numeric and column.endswith(("SEQ", "DY", "NUM", "STRESN", "LLOQ", "AGE", "DOSE")):
                frame[column] = frame[column].astype("float64")
            else:
                frame[column] = frame[column].fillna("").astype(str)
    return frame


def write_xpt(frames: dict[str, pd.DataFrame], out: Path) -> list[Path]:
    """Write each domain as ``<domain>.xpt`` (SAS transport version 5)."""
    import pyreadstat

    paths = []
    for domain, frame in frames.items():
        label, variables = DOMAINS[domain]
        path = out / f"{domain.lower()}.xpt"
        pyreadstat.write_xport(
            _xpt_ready(frame, variables),
            str(path),
            file_label=label,
            table_name=domain,
            column_labels=[v.label for v in variables],
            file_format_version=5,
        )
        paths.append(path)
    return paths


# --- conformance ---------------------------------------------------------------------------

ISO = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?$")


def conformance(frames: dict[str, pd.DataFrame]) -> list[str]:
    """Every finding of our checks (empty: conformant). See the module docstring."""
    findings: list[str] = []
    dm = frames.get("DM")
    reference = {r.USUBJID: r.RFSTDTC for r in dm.itertuples()} if dm is not None else {}
    for domain, frame in frames.items():
        _label, variables = DOMAINS[domain]
        names = [v.name for v in variables]
        for v in variables:
            if v.name not in frame.columns:
                findings.append(f"{domain}: required variable {v.name} is absent")
                continue
            if len(v.name) > 8 or len(v.label) > 40:
                findings.append(f"{domain}.{v.name}: name > 8 or label > 40 characters")
            if v.required and any(x is None or x != x or x == "" for x in frame[v.name]):
                findings.append(f"{domain}.{v.name}: required but empty in some rows")
        if list(frame.columns) != names:
            findings.append(f"{domain}: variables not in SDTMIG order")
        if not frame.empty and set(frame["DOMAIN"]) != {domain}:
            findings.append(f"{domain}: DOMAIN must be {domain}")
        seq = f"{domain}SEQ"
        if seq in frame.columns and frame.duplicated(["USUBJID", seq]).any():
            findings.append(f"{domain}.{seq}: not unique within USUBJID")
        for column in [c for c in frame.columns if c.endswith("DTC")]:
            bad = [x for x in frame[column] if x and x == x and not ISO.match(str(x))]
            if bad:
                findings.append(f"{domain}.{column}: not ISO 8601: {bad[:3]}")
        for column, allowed in CONTROLLED.items():
            if column in frame.columns:
                bad = {"" if x is None or x != x else x for x in frame[column]} - allowed
                if bad:
                    findings.append(f"{domain}.{column}: not in controlled terms: {sorted(bad)}")
        for column in [c for c in frame.columns if c.endswith("TESTCD")]:
            bad = [x for x in set(frame[column]) if not re.match(r"^[A-Z][A-Z0-9_]{0,7}$", x)]
            if bad:
                findings.append(f"{domain}.{column}: test codes not valid: {bad[:3]}")
        for column in frame.columns:
            if frame[column].dtype == object:
                long = [x for x in frame[column] if isinstance(x, str) and len(x.encode()) > 200]
                if long:
                    findings.append(f"{domain}.{column}: values longer than 200 bytes")
        findings.extend(_study_day_findings(domain, frame, reference))
        if domain == "EX" and dm is not None and "RFXENDTC" in dm.columns:
            findings.extend(_last_exposure_findings(dm, frame))
        findings.extend(_order_findings(domain, frame))
        if domain == "AE":
            findings.extend(_ae_findings(frame))
    return findings


def _day_pairs(frame: pd.DataFrame) -> list[tuple[str, str]]:
    """(study day, date) column pairs: ``QSDY``/``QSDTC``, ``EXSTDY``/``EXSTDTC`` …"""
    return [
        (c, c[:-2] + "DTC")
        for c in frame.columns
        if c.endswith("DY") and c[:-2] + "DTC" in frame.columns
    ]


def _last_exposure_findings(dm: pd.DataFrame, ex: pd.DataFrame) -> list[str]:
    """DM.RFXENDTC is the latest EXENDTC of the subject (and empty without exposure)."""
    latest = ex.groupby("USUBJID")["EXENDTC"].max().to_dict() if not ex.empty else {}
    findings = []
    for row in dm.itertuples():
        stated = row.RFXENDTC if isinstance(row.RFXENDTC, str) else ""
        expected = latest.get(row.USUBJID, "")
        if stated != expected:
            findings.append(
                f"DM.RFXENDTC: {stated or 'empty'} for {row.USUBJID}, but the last EXENDTC is "
                f"{expected or 'absent'}"
            )
    return findings


def _study_day_findings(domain: str, frame: pd.DataFrame, reference: dict[str, Any]) -> list[str]:
    findings = []
    for day, dtc in _day_pairs(frame):
        for row in frame.itertuples():
            ref, on, given = reference.get(row.USUBJID), getattr(row, dtc), getattr(row, day)
            if ref and on and ISO.match(str(ref)) and ISO.match(str(on)):
                expected = sdtm_day(dt.date.fromisoformat(ref[:10]), dt.date.fromisoformat(on[:10]))
                if given is not None and given == given and given != expected:
                    findings.append(f"{domain}.{day}: {given} but {on} is day {expected}")
            if given == 0:
                findings.append(f"{domain}.{day}: SDTM has no study day 0")
    return findings


def _order_findings(domain: str, frame: pd.DataFrame) -> list[str]:
    """An end (``--ENDTC``) never before its start (``--STDTC``); compared as ISO text."""
    start, end = f"{domain}STDTC", f"{domain}ENDTC"
    if start not in frame.columns or end not in frame.columns:
        return []
    findings = []
    for a, b in zip(frame[start], frame[end], strict=True):
        if a and b and ISO.match(str(a)) and ISO.match(str(b)):
            width = min(len(a), len(b))
            if str(b)[:width] < str(a)[:width]:
                findings.append(f"{domain}.{end}: {b} is before {start} {a}")
    return findings


def _ae_findings(frame: pd.DataFrame) -> list[str]:
    """Seriousness and grade agree with their flags and outcome."""
    findings = []
    for row in frame.itertuples():
        flagged = any(getattr(row, flag, "") == "Y" for flag in AE_FLAGS)
        if row.AESER == "Y" and not flagged:
            findings.append(f"AE.AESER: Y but no seriousness criterion on {row.AESPID}")
        if row.AESER == "N" and flagged:
            findings.append(f"AE.AESER: N but a seriousness criterion is Y on {row.AESPID}")
        if (row.AETOXGR == "5") != (row.AEOUT == "FATAL"):
            findings.append(f"AE.AETOXGR: grade 5 exactly when AEOUT is FATAL ({row.AESPID})")
        if row.AESDTH == "Y" and row.AEOUT != "FATAL":
            findings.append(f"AE.AESDTH: Y but AEOUT is {row.AEOUT} ({row.AESPID})")
    return findings
