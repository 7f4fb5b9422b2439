"""Hand-built SDTM rows that conform, for tests that break one thing at a time."""

from __future__ import annotations

from typing import Any

import pandas as pd

from neuroregen.interop import sdtm


def frame(domain: str, rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=[v.name for v in sdtm.DOMAINS[domain][1]])


def dm_row(**overrides: Any) -> dict[str, Any]:
    row = {
        "STUDYID": "S",
        "DOMAIN": "DM",
        "USUBJID": "S-1",
        "SUBJID": "1",
        "RFSTDTC": "2026-01-10",
        "RFENDTC": "2026-01-10",
        "RFXSTDTC": "2026-01-10",
        "RFXENDTC": "2026-01-10T09:40",
        "RFICDTC": "2026-01-02",
        "RFPENDTC": "2026-01-10T09:40",
        "SITEID": "A",
        "AGE": 60.0,
        "AGEU": "MONTHS",
        "SEX": "F",
        "ARMCD": "A",
        "ARM": "Arm A",
        "ACTARMCD": "A",
        "ACTARM": "Arm A",
        "COUNTRY": "UKR",
    }
    row.update(overrides)
    return row


def ex_row(**overrides: Any) -> dict[str, Any]:
    row = {
        "STUDYID": "S",
        "DOMAIN": "EX",
        "USUBJID": "S-1",
        "EXSEQ": 1.0,
        "EXTRT": "MSC",
        "EXDOSE": 1.5e6,
        "EXDOSU": "cells/kg",
        "EXDOSFRM": "SUSPENSION",
        "EXROUTE": "INTRAVENOUS",
        "EXSTDTC": "2026-01-10T09:00",
        "EXENDTC": "2026-01-10T09:40",
        "EXSTDY": 1,
        "EXENDY": 1,
    }
    row.update(overrides)
    return row


def ae_row(**overrides: Any) -> dict[str, Any]:
    row = {
        "STUDYID": "S",
        "DOMAIN": "AE",
        "USUBJID": "S-1",
        "AESEQ": 1.0,
        "AESPID": "AE-1",
        "AETERM": "Fever",
        "AEDECOD": "Pyrexia",
        "AESEV": "MILD",
        "AESER": "N",
        "AEACN": "DOSE NOT CHANGED",
        "AEREL": "NOT RELATED",
        "AEOUT": "RECOVERED/RESOLVED",
        **dict.fromkeys(sdtm.AE_FLAGS, "N"),
        "AETOXGR": "1",
        "AESTDTC": "2026-01-12",
        "AEENDTC": "2026-01-13",
        "AESTDY": 3,
        "AEENDY": 4,
    }
    row.update(overrides)
    return row
