"""Our own conformance checks of the domains (see the package docstring for the list); the
subject-level rules (date order across DM/DS/EX, arms) are in :mod:`.conformance_dm`."""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

import pandas as pd

from neuroregen.interop.sdtm.conformance_dm import subject_findings
from neuroregen.interop.sdtm.spec import DOMAINS, SUPP_DOMAINS
from neuroregen.interop.sdtm.terms import AE_FLAGS, CONTROLLED
from neuroregen.interop.sdtm.text import is_text

# ISO 8601 as SDTM writes it: a complete or partial date, an optional time (no seconds needed)
ISO = re.compile(
    r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01])(T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?)?)?)?$"
)
NAME = re.compile(r"^[A-Z][A-Z0-9_]{0,7}$")


def conformance(frames: dict[str, pd.DataFrame], waived: Collection[str] = ()) -> list[str]:
    """Every finding of our checks (empty: conformant). See the package docstring.

    ``waived`` names checks an export declares instead (``"AE.AEDECOD"`` while AE terms are
    not yet coded: the export says so and define.xml marks the dataset).
    """
    findings: list[str] = []
    dm = frames.get("DM")
    reference = {r.USUBJID: r.RFSTDTC for r in dm.itertuples()} if dm is not None else {}
    for domain, frame in frames.items():
        _label, variables = DOMAINS[domain]
        names = [v.name for v in variables]
        findings.extend(_variable_findings(domain, frame, waived))
        if [c for c in names if c in frame.columns] != [c for c in frame.columns if c in names]:
            findings.append(f"{domain}: variables not in SDTMIG order")
        key = "RDOMAIN" if domain in SUPP_DOMAINS else "DOMAIN"
        want = domain[4:] if domain in SUPP_DOMAINS else domain
        if not frame.empty and set(frame[key]) != {want}:
            findings.append(f"{domain}: {key} must be {want}")
        seq = f"{domain}SEQ"
        if (
            seq in frame.columns
            and "USUBJID" in frame.columns
            and frame.duplicated(["USUBJID", seq]).any()
        ):
            findings.append(f"{domain}.{seq}: not unique within USUBJID")
        for column in [c for c in frame.columns if c.endswith("DTC")]:
            bad = [x for x in frame[column].unique() if x and x == x and not ISO.match(str(x))]
            if bad:
                findings.append(f"{domain}.{column}: not ISO 8601: {bad[:3]}")
        for column, allowed in CONTROLLED.items():
            if column in frame.columns:
                values = pd.unique(frame[column])  # few distinct terms, millions of rows
                unknown = {"" if x is None or x != x else x for x in values} - allowed
                if unknown:
                    findings.append(
                        f"{domain}.{column}: not in controlled terms: {sorted(unknown)}"
                    )
        for column in [c for c in frame.columns if c.endswith("TESTCD")]:
            bad = [x for x in set(frame[column]) if not NAME.match(str(x))]
            if bad:
                findings.append(f"{domain}.{column}: test codes not valid: {bad[:3]}")
        for column in frame.columns:
            if is_text(frame[column]):
                values = [x for x in frame[column].unique() if isinstance(x, str)]
                if any(len(x.encode()) > 200 for x in values):
                    findings.append(f"{domain}.{column}: values longer than 200 bytes")
                foreign = [x for x in values if not x.isascii()]
                if foreign:
                    findings.append(f"{domain}.{column}: not ASCII: {foreign[:3]}")
        findings.extend(_study_day_findings(domain, frame, reference))
        if domain == "EX" and dm is not None and "RFXENDTC" in dm.columns:
            findings.extend(_last_exposure_findings(dm, frame))
        findings.extend(_order_findings(domain, frame))
        if domain == "AE":
            findings.extend(_ae_findings(frame))
    findings.extend(subject_findings(frames))
    return findings


def _variable_findings(domain: str, frame: pd.DataFrame, waived: Collection[str]) -> list[str]:
    """Req and Exp variables present, Req ones never empty; names ≤ 8, labels ≤ 40; no
    variable outside the domain's specification."""
    findings = []
    known = {v.name for v in DOMAINS[domain][1]}
    for column in frame.columns:
        if column not in known:
            findings.append(f"{domain}.{column}: not a variable of {domain}")
        if not NAME.match(str(column)):
            findings.append(f"{domain}.{column}: name > 8 characters or not a SAS name")
    for v in DOMAINS[domain][1]:
        if v.name not in frame.columns:
            if v.expected:
                which = "required" if v.required else "expected"
                findings.append(f"{domain}: {which} variable {v.name} is absent")
            continue
        if len(v.name) > 8 or len(v.label) > 40:
            findings.append(f"{domain}.{v.name}: name > 8 or label > 40 characters")
        if f"{domain}.{v.name}" in waived:
            continue
        column = frame[v.name]
        if v.required and (column.isna() | column.eq("")).any():
            findings.append(f"{domain}.{v.name}: required but empty in some rows")
    return findings


def _full(value: Any) -> bool:
    """A complete ISO 8601 date (with or without a time)."""
    return isinstance(value, str) and len(value) >= 10 and bool(ISO.match(value))


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
    """Every ``--DY`` equals its date's SDTM day and is never 0. Computed by columns (QS has
    millions of rows); only the rows found wrong are read one by one, in order."""
    pairs = _day_pairs(frame)
    if not pairs or frame.empty:
        return []
    starts = {k: v[:10] for k, v in reference.items() if v and _full(v)}
    start = pd.to_datetime(frame["USUBJID"].map(starts), format="%Y-%m-%d", errors="coerce")
    findings = []
    for day, dtc in pairs:
        on = frame[dtc]
        days = on.map({v: v[:10] for v in pd.unique(on) if _full(v)})  # NaN: not a full date
        dated = pd.to_datetime(days, format="%Y-%m-%d", errors="coerce")
        delta = (dated - start).dt.days
        expected = delta.where(delta < 0, delta + 1)  # no day 0
        given = pd.to_numeric(frame[day], errors="coerce")
        wrong = (expected.notna() & given.notna() & (given != expected)).to_numpy()
        zero = (given == 0).to_numpy()
        for i in (wrong | zero).nonzero()[0]:
            if wrong[i]:
                findings.append(
                    f"{domain}.{day}: {frame[day].iat[i]} but {on.iat[i]} is day "
                    f"{int(expected.iat[i])}"
                )
            if zero[i]:
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
