"""What define.xml says about each dataset and variable: structure, class, keys, origins,
computational methods, code lists and comments.

Origins (Define-XML 2.0): ``Protocol`` for the trial design domains and STUDYID; ``Assigned``
for values the export sets (codes, names, categories, visit numbers); ``Derived`` (with a
method) for values computed from others; ``CRF`` for what staff entered.
"""

from __future__ import annotations

from dataclasses import dataclass, field

TRIAL_DESIGN = ("TS", "TA", "TE", "TV", "TI")

STRUCTURE = {
    "DM": "One record per subject",
    "QS": "One record per question or score per form per visit per subject",
    "LB": "One record per lab test per specimen collection per subject",
    "SV": "One record per actual visit per subject",
    "DS": "One record per disposition status or protocol milestone per subject",
    "EX": "One record per administration per subject",
    "AE": "One record per adverse event per subject",
    "TS": "One record per trial summary parameter value",
    "TA": "One record per planned Element per Arm",
    "TE": "One record per planned Element",
    "TV": "One record per planned Visit per Arm",
    "TI": "One record per I/E criterion",
}
CLASS = {
    "DM": "SPECIAL PURPOSE",
    "SV": "SPECIAL PURPOSE",
    "QS": "FINDINGS",
    "LB": "FINDINGS",
    "DS": "EVENTS",
    "AE": "EVENTS",
    "EX": "INTERVENTIONS",
    **dict.fromkeys(TRIAL_DESIGN, "TRIAL DESIGN"),
}
KEYS = {
    "DM": ("STUDYID", "USUBJID"),
    "QS": ("STUDYID", "USUBJID", "QSTESTCD", "VISITNUM", "QSSEQ"),
    "LB": ("STUDYID", "USUBJID", "LBTESTCD", "LBSPEC", "LBDTC", "LBSEQ"),
    "SV": ("STUDYID", "USUBJID", "VISITNUM"),
    "DS": ("STUDYID", "USUBJID", "DSDECOD", "DSSTDTC", "DSSEQ"),
    "EX": ("STUDYID", "USUBJID", "EXTRT", "EXSTDTC", "EXSEQ"),
    "AE": ("STUDYID", "USUBJID", "AETERM", "AESTDTC", "AESEQ"),
    "TS": ("STUDYID", "TSPARMCD", "TSSEQ"),
    "TA": ("STUDYID", "ARMCD", "TAETORD"),
    "TE": ("STUDYID", "ETCD"),
    "TV": ("STUDYID", "VISITNUM", "ARMCD"),
    "TI": ("STUDYID", "IETESTCD"),
}

METHODS = {
    "MT.DY": (
        "Study day",
        "--DY = date of --DTC - RFSTDTC + 1 when the date is on or after RFSTDTC, and date - "
        "RFSTDTC before it (SDTM has no day 0).",
    ),
    "MT.SEQ": ("Sequence number", "Numbers the subject's records of the domain from 1."),
    "MT.USUBJID": ("Unique subject identifier", "STUDYID, a hyphen, then SUBJID."),
    "MT.STRESC": (
        "Standard character result",
        "--ORRES in standard format: numbers written without trailing zeros, text unchanged.",
    ),
    "MT.STRESN": (
        "Standard numeric result",
        "--STRESC as a number when it is one; empty for text and for censored lab results.",
    ),
    "MT.QSTOTAL": (
        "Instrument scores",
        "Scores (QSSCAT SCORE) are computed from the item answers by the instrument's "
        "published scoring rules; a total is the sum of its subscale scores. A score with too "
        "many missing items is not computed.",
    ),
    "MT.RFSTDTC": ("Reference start", "Date of the first administration (study day 0)."),
    "MT.RFXENDTC": ("Last exposure", "The latest EXENDTC of the subject."),
    "MT.RFICDTC": ("Informed consent", "The earliest date a consent was signed."),
    "MT.AESEV": ("Severity from grade", "CTCAE grade 1 MILD, 2 MODERATE, 3 to 5 SEVERE."),
    "MT.AESER": ("Serious event", "Y when any seriousness criterion AESCONG to AESMIE is Y."),
}
DERIVED = {
    "USUBJID": "MT.USUBJID",
    "RFSTDTC": "MT.RFSTDTC",
    "RFXSTDTC": "MT.RFSTDTC",
    "RFXENDTC": "MT.RFXENDTC",
    "RFICDTC": "MT.RFICDTC",
    "AESEV": "MT.AESEV",
    "AESER": "MT.AESER",
}
ASSIGNED = {
    "DOMAIN",
    "SUBJID",
    "SITEID",
    "AGEU",
    "ARMCD",
    "ARM",
    "ACTARMCD",
    "ACTARM",
    "COUNTRY",
    "VISITNUM",
    "VISIT",
    "EXTRT",
    "EXDOSU",
    "EXDOSFRM",
    "EXREFID",
    "EXSPID",
    "AESPID",
    "AEDECOD",
    "AEBODSYS",
    "DSDECOD",
    "DSCAT",
    "LBSPEC",
    "LBMETHOD",
    "LBLLOQ",
}


def origin(domain: str, name: str) -> tuple[str, str | None]:
    """The variable's origin type and, when derived, its method's OID."""
    if domain in TRIAL_DESIGN or name == "STUDYID":
        return ("Assigned", None) if name == "DOMAIN" else ("Protocol", None)
    if name in DERIVED:
        return "Derived", DERIVED[name]
    rest = name[len(domain) :] if name.startswith(domain) else name
    if rest == "SEQ":
        return "Derived", "MT.SEQ"
    if name.endswith("DY"):
        return "Derived", "MT.DY"
    if rest in ("STRESC", "STRESN"):
        return "Derived", f"MT.{rest}"
    if rest in ("TESTCD", "TEST", "CAT", "SCAT", "STRESU") or name in ASSIGNED:
        return "Assigned", None
    return "CRF", None


@dataclass(frozen=True)
class CodeList:
    """A code list: its name, NCI code (empty when sponsor-defined) and known term codes."""

    name: str
    nci: str = ""
    terms: dict[str, str] = field(default_factory=dict)  # submission value → NCI code
    note: str = ""
    decode: str = ""  # the variable holding each code's decode (CodeListItem), if any


_NY = CodeList("No Yes Response", "C66742", {"Y": "C49488", "N": "C49487"})
SPONSOR = "Sponsor-defined."
CODELISTS: dict[str, CodeList] = {
    "SEX": CodeList("Sex", "C66731", {"F": "C16576", "M": "C20197", "U": "C17998"}),
    "AGEU": CodeList("Age Unit", "C66781", {"MONTHS": "C29846", "YEARS": "C29848"}),
    "ROUTE": CodeList(
        "Route of Administration",
        "C66729",
        {"INTRAVENOUS": "C38276", "INTRATHECAL": "C38277", "NASAL": "C38284"},
    ),
    "AESEV": CodeList(
        "Severity/Intensity Scale for Adverse Events",
        "C66769",
        {"MILD": "C41338", "MODERATE": "C41339", "SEVERE": "C41340"},
    ),
    "NY": _NY,
    "ND": CodeList("Not Done", "C66789", {"NOT DONE": "C49484"}),
    "OUT": CodeList("Outcome of Event", "C66768"),
    "ACN": CodeList("Action Taken with Study Treatment", "C66767"),
    "FRM": CodeList("Pharmaceutical Dosage Form", "C66726"),
    "UNIT": CodeList("Unit", "C71620"),
    "DSCAT": CodeList("Category for Disposition Event", "C74558"),
    "DSDECOD": CodeList("Completion/Reason for Non-Completion and Protocol Milestone"),
    "EPOCH": CodeList("Epoch", "C99079"),
    "IECAT": CodeList("Category for Inclusion/Exclusion", "C66797"),
    "TSPARMCD": CodeList("Trial Summary Parameter Test Code", "C66738", decode="TSPARM"),
    "LBTESTCD": CodeList("Laboratory Test Code", "C65047", decode="LBTEST"),
    "QSTESTCD": CodeList(
        "Questionnaire Test Code (sponsor-defined)",
        note=SPONSOR + " ATEC and the programme's other instruments have no published CDISC "
        "QS code list; codes are made once per test and kept across exports.",
        decode="QSTEST",
    ),
    "AEREL": CodeList("Causality", note=SPONSOR + " Relatedness to the product."),
    "AETOXGR": CodeList("Toxicity Grade", note=SPONSOR + " CTCAE grade 1 to 5."),
    "ARMCD": CodeList("Planned Arm Code", note=SPONSOR, decode="ARM"),
    "ETCD": CodeList("Element Code", note=SPONSOR, decode="ELEMENT"),
    "IETESTCD": CodeList("Incl/Excl Criterion Short Name", note=SPONSOR, decode="IETEST"),
}
#: variable → code list key
VARIABLE_CODELIST = {
    "SEX": "SEX",
    "AGEU": "AGEU",
    "EXROUTE": "ROUTE",
    "EXDOSFRM": "FRM",
    "EXDOSU": "UNIT",
    "AESEV": "AESEV",
    "AEOUT": "OUT",
    "AEACN": "ACN",
    "AEREL": "AEREL",
    "AETOXGR": "AETOXGR",
    "QSSTAT": "ND",
    "DSCAT": "DSCAT",
    "DSDECOD": "DSDECOD",
    "EPOCH": "EPOCH",
    "IECAT": "IECAT",
    "TSPARMCD": "TSPARMCD",
    "LBTESTCD": "LBTESTCD",
    "QSTESTCD": "QSTESTCD",
    "ARMCD": "ARMCD",
    "ACTARMCD": "ARMCD",
    "ETCD": "ETCD",
    "IETESTCD": "IETESTCD",
    **dict.fromkeys(
        ("AESER", "AESCONG", "AESDISAB", "AESDTH", "AESHOSP", "AESLIFE", "AESMIE"), "NY"
    ),
}
#: variable → (dictionary, version) of an external code list (no enumerated values).
EXTERNAL = {
    "COUNTRY": ("ISO 3166-1 alpha-3", ""),
    "AEDECOD": ("MEDDRA", ""),
    "AEBODSYS": ("MEDDRA", ""),
}
