"""Controlled terms and the mappings from our choices to them (CDISC CT, ISO 3166 alpha-3)."""

from __future__ import annotations

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
    "ARMNRS": {
        "",
        "SCREEN FAILURE",
        "NOT ASSIGNED",
        "ASSIGNED, NOT TREATED",
        "UNPLANNED TREATMENT",
    },
    "DTHFL": {"", "Y"},
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
# keyed by the choices' values (str): a model field holds the value, not the member
AEREL: dict[str, str] = {
    sc.Relatedness.NOT_RELATED: "NOT RELATED",
    sc.Relatedness.UNLIKELY: "UNLIKELY RELATED",
    sc.Relatedness.POSSIBLE: "POSSIBLY RELATED",
    sc.Relatedness.PROBABLE: "PROBABLY RELATED",
    sc.Relatedness.DEFINITE: "RELATED",
}
AEACN: dict[str, str] = {
    sc.ActionTaken.NONE: "DOSE NOT CHANGED",
    sc.ActionTaken.DOSE_NOT_CHANGED: "DOSE NOT CHANGED",
    sc.ActionTaken.INFUSION_INTERRUPTED: "DRUG INTERRUPTED",
    sc.ActionTaken.INFUSION_STOPPED: "DRUG WITHDRAWN",
    sc.ActionTaken.FURTHER_DOSING_WITHHELD: "DRUG INTERRUPTED",
    sc.ActionTaken.WITHDRAWN: "DRUG WITHDRAWN",
    sc.ActionTaken.NOT_APPLICABLE: "NOT APPLICABLE",
}
AEOUT: dict[str, str] = {
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
