"""Subject-level conformance rules across DM, DS and EX: the order of a subject's reference
dates, and the arm variables as SDTMIG 3.3+ has them.

- RFICDTC ≤ RFSTDTC ≤ RFXSTDTC (consent before the reference start, which is not after the
  first treatment); RFXSTDTC is the first EXSTDTC and no EXSTDTC is before it;
- the DS "RANDOMIZED" record is not after the first dose (RFXSTDTC);
- arms: the pseudo-codes NOTASSGN, SCRNFAIL, NOTTRT (SDTMIG ≤ 3.2) are not used; ARMCD and
  ARM are null together, and null exactly when ARMNRS says why (SCREEN FAILURE, NOT
  ASSIGNED); ACTARMCD null with an arm only with ARMNRS "ASSIGNED, NOT TREATED" or
  "UNPLANNED TREATMENT"; ACTARMUD exactly with "UNPLANNED TREATMENT"; a subject with
  exposure is not "ASSIGNED, NOT TREATED".

Dates compare as ISO text over the precision both have.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

LEGACY_ARMCD = {"NOTASSGN", "SCRNFAIL", "NOTTRT"}
NOT_ALLOCATED = {"SCREEN FAILURE", "NOT ASSIGNED"}
NOT_TREATED = {"ASSIGNED, NOT TREATED", "UNPLANNED TREATMENT"}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _before(a: str, b: str) -> bool:
    """``b`` is strictly before ``a`` over their common precision."""
    width = min(len(a), len(b))
    return bool(a and b) and b[:width] < a[:width]


def subject_findings(frames: dict[str, pd.DataFrame]) -> list[str]:
    dm = frames.get("DM")
    if dm is None or dm.empty:
        return []
    ex = frames.get("EX")
    ds = frames.get("DS")
    first_dose: dict[str, str] = {}
    if ex is not None and not ex.empty:
        first_dose = ex.groupby("USUBJID")["EXSTDTC"].min().to_dict()
    randomized: dict[str, str] = {}
    if ds is not None and not ds.empty:
        rows = ds[ds["DSDECOD"] == "RANDOMIZED"]
        randomized = rows.groupby("USUBJID")["DSSTDTC"].min().to_dict()
    findings = []
    for row in dm.to_dict("records"):
        findings.extend(_date_order(row, first_dose, randomized))
        findings.extend(_arms(row, row["USUBJID"] in first_dose))
    return findings


def _date_order(
    row: dict[str, Any], first_dose: dict[str, str], randomized: dict[str, str]
) -> list[str]:
    subject = row["USUBJID"]
    consent, start = _text(row.get("RFICDTC")), _text(row.get("RFSTDTC"))
    first = _text(row.get("RFXSTDTC"))
    found = []
    if consent and start and _before(consent, start):
        found.append(f"DM.RFSTDTC: {start} is before informed consent {consent} ({subject})")
    if start and first and _before(start, first):
        found.append(f"DM.RFXSTDTC: {first} is before RFSTDTC {start} ({subject})")
    dosed = _text(first_dose.get(subject))
    if dosed and first and dosed[:10] != first[:10]:
        found.append(f"DM.RFXSTDTC: {first or 'empty'} but the first EXSTDTC is {dosed}")
    if dosed and not first:
        found.append(f"DM.RFXSTDTC: empty but {subject} has exposure from {dosed}")
    allocated = _text(randomized.get(subject))
    if _before(allocated, first):
        found.append(
            f"DS.DSSTDTC: RANDOMIZED on {allocated}, after the first dose {first} ({subject})"
        )
    return found


def _arms(row: dict[str, Any], exposed: bool) -> list[str]:
    subject = row["USUBJID"]
    armcd, arm = _text(row.get("ARMCD")), _text(row.get("ARM"))
    actarmcd, actarm = _text(row.get("ACTARMCD")), _text(row.get("ACTARM"))
    reason, unplanned = _text(row.get("ARMNRS")), _text(row.get("ACTARMUD"))
    found = []
    legacy = {armcd, actarmcd} & LEGACY_ARMCD
    if legacy:
        found.append(
            f"DM.ARMCD: {sorted(legacy)} not used since SDTMIG 3.3 (null, with ARMNRS) ({subject})"
        )
    if bool(armcd) != bool(arm) or bool(actarmcd) != bool(actarm):
        found.append(f"DM.ARM: an arm code without its description or back ({subject})")
    if not armcd and reason not in NOT_ALLOCATED:
        found.append(f"DM.ARMNRS: ARMCD is null but ARMNRS is {reason or 'empty'} ({subject})")
    if armcd and not actarmcd and reason not in NOT_TREATED:
        found.append(f"DM.ARMNRS: ACTARMCD is null but ARMNRS is {reason or 'empty'} ({subject})")
    if reason and armcd and actarmcd:
        found.append(f"DM.ARMNRS: {reason} but both arms are filled ({subject})")
    if bool(unplanned) != (reason == "UNPLANNED TREATMENT"):
        found.append(f"DM.ACTARMUD: filled exactly when ARMNRS is UNPLANNED TREATMENT ({subject})")
    if exposed and reason == "ASSIGNED, NOT TREATED":
        found.append(f"DM.ARMNRS: ASSIGNED, NOT TREATED but {subject} has exposure")
    return found
