"""The variables of each domain, in SDTMIG order, with the metadata define.xml is written from:
label, type, core (SDTMIG 3.4: "Req" never empty, "Exp" always present, "Perm" optional),
origin (define.xml 2.0: Collected, Derived, Assigned, Protocol) and the code list, if any.

Character lengths are those of the data (the longest value, as FDA asks); numbers are 8 bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

SDTMIG_VERSION = "3.4"


@dataclass(frozen=True)
class Var:
    name: str
    label: str
    core: str = "Perm"  # Req | Exp | Perm
    type: str = "Char"  # Char | Num
    origin: str = "Collected"  # Collected | Derived | Assigned | Protocol
    codelist: str = ""  # the CDISC CT code list the values come from ("" none)

    @property
    def required(self) -> bool:
        """ "Req" in the SDTMIG: present and never empty."""
        return self.core == "Req"

    @property
    def expected(self) -> bool:
        return self.core in ("Req", "Exp")


def _ids(seq: str | None = None) -> list[Var]:
    found = [
        Var("STUDYID", "Study Identifier", "Req", origin="Protocol"),
        Var("DOMAIN", "Domain Abbreviation", "Req", origin="Assigned"),
        Var("USUBJID", "Unique Subject Identifier", "Req", origin="Derived"),
    ]
    if seq:
        found.append(Var(seq, "Sequence Number", "Req", "Num", "Derived"))
    return found


def _visit(core: str = "Exp") -> list[Var]:
    return [
        Var("VISITNUM", "Visit Number", core, "Num", "Derived"),
        Var("VISIT", "Visit Name", "Perm", origin="Derived"),
    ]


_SUPP = [
    Var("STUDYID", "Study Identifier", "Req", origin="Protocol"),
    Var("RDOMAIN", "Related Domain Abbreviation", "Req", origin="Assigned"),
    Var("USUBJID", "Unique Subject Identifier", "Req", origin="Derived"),
    Var("IDVAR", "Identifying Variable", "Exp", origin="Assigned"),
    Var("IDVARVAL", "Identifying Variable Value", "Exp", origin="Derived"),
    Var("QNAM", "Qualifier Variable Name", "Req", origin="Assigned"),
    Var("QLABEL", "Qualifier Variable Label", "Req", origin="Assigned"),
    Var("QVAL", "Data Value", "Req"),
    Var("QORIG", "Origin", "Req", origin="Assigned"),
    Var("QEVAL", "Evaluator", "Exp", origin="Assigned"),
]
# Supplemental qualifiers: the rest of texts longer than 200 characters (SDTMIG 4.5.3.2)
SUPP_DOMAINS = ("SUPPQS", "SUPPAE", "SUPPDS")

DOMAINS: dict[str, tuple[str, list[Var]]] = {
    "DM": (
        "Demographics",
        [
            *_ids(),
            Var("SUBJID", "Subject Identifier for the Study", "Req"),
            Var("RFSTDTC", "Subject Reference Start Date/Time", "Exp", origin="Derived"),
            Var("RFENDTC", "Subject Reference End Date/Time", "Exp", origin="Derived"),
            Var("RFXSTDTC", "Date/Time of First Study Treatment", "Exp", origin="Derived"),
            Var("RFXENDTC", "Date/Time of Last Study Treatment", "Exp", origin="Derived"),
            Var("RFICDTC", "Date/Time of Informed Consent", "Exp", origin="Derived"),
            Var("RFPENDTC", "Date/Time of End of Participation", "Exp", origin="Derived"),
            Var("DTHDTC", "Date/Time of Death", "Exp", origin="Derived"),
            Var("DTHFL", "Subject Death Flag", "Exp", origin="Derived", codelist="NY"),
            Var("SITEID", "Study Site Identifier", "Req", origin="Assigned"),
            Var("BRTHDTC", "Date/Time of Birth"),
            Var("AGE", "Age", "Exp", "Num", "Derived"),
            Var("AGEU", "Age Units", "Exp", origin="Assigned", codelist="AGEU"),
            Var("SEX", "Sex", "Req", codelist="SEX"),
            Var("RACE", "Race", "Exp", codelist="RACE"),
            Var("ARMCD", "Planned Arm Code", "Exp", origin="Assigned"),
            Var("ARM", "Description of Planned Arm", "Exp", origin="Assigned"),
            Var("ACTARMCD", "Actual Arm Code", "Exp", origin="Derived"),
            Var("ACTARM", "Description of Actual Arm", "Exp", origin="Derived"),
            Var(
                "ARMNRS",
                "Reason Arm and/or Actual Arm is Null",
                "Exp",
                origin="Derived",
                codelist="ARMNULRS",
            ),
            Var("ACTARMUD", "Description of Unplanned Actual Arm", "Exp", origin="Derived"),
            Var("COUNTRY", "Country", "Req", origin="Derived", codelist="COUNTRY"),
        ],
    ),
    "QS": (
        "Questionnaires",
        [
            *_ids("QSSEQ"),
            Var("QSTESTCD", "Question Short Name", "Req", origin="Assigned"),
            Var("QSTEST", "Question Name", "Req", origin="Assigned"),
            Var("QSCAT", "Category of Question", "Req", origin="Assigned"),
            Var("QSSCAT", "Subcategory for Question", origin="Assigned"),
            Var("QSORRES", "Finding in Original Units", "Exp"),
            Var("QSSTRESC", "Character Result/Finding in Std Format", "Exp", origin="Derived"),
            Var("QSSTRESN", "Numeric Finding in Standard Units", "Exp", "Num", "Derived"),
            Var("QSSTAT", "Completion Status", codelist="ND"),
            Var("QSREASND", "Reason Not Performed"),
            *_visit(),
            Var("QSDTC", "Date/Time of Finding", "Exp"),
            Var("QSDY", "Study Day of Finding", "Perm", "Num", "Derived"),
        ],
    ),
    "LB": (
        "Laboratory Test Results",
        [
            *_ids("LBSEQ"),
            Var(
                "LBTESTCD",
                "Lab Test or Examination Short Name",
                "Req",
                origin="Assigned",
                codelist="LBTESTCD",
            ),
            Var(
                "LBTEST",
                "Lab Test or Examination Name",
                "Req",
                origin="Assigned",
                codelist="LBTEST",
            ),
            Var("LBCAT", "Category for Lab Test", "Exp", origin="Assigned"),
            Var("LBORRES", "Result or Finding in Original Units", "Exp"),
            Var("LBORRESU", "Original Units", "Exp", codelist="UNIT"),
            Var("LBSTRESC", "Character Result/Finding in Std Format", "Exp", origin="Derived"),
            Var("LBSTRESN", "Numeric Result/Finding in Standard Units", "Exp", "Num", "Derived"),
            Var("LBSTRESU", "Standard Units", "Exp", origin="Derived", codelist="UNIT"),
            Var("LBSPEC", "Specimen Type", codelist="SPECTYPE"),
            Var("LBMETHOD", "Method of Test or Examination"),
            Var("LBLLOQ", "Lower Limit of Quantitation", "Perm", "Num"),
            *_visit(),
            Var("LBDTC", "Date/Time of Specimen Collection", "Exp"),
            Var("LBDY", "Study Day of Specimen Collection", "Perm", "Num", "Derived"),
        ],
    ),
    "SV": (
        "Subject Visits",
        [
            *_ids(),
            Var("VISITNUM", "Visit Number", "Req", "Num", "Derived"),
            Var("VISIT", "Visit Name", "Perm", origin="Derived"),
            Var("SVSTDTC", "Start Date/Time of Visit", "Exp"),
            Var("SVENDTC", "End Date/Time of Visit", "Exp"),
            Var("SVSTDY", "Study Day of Start of Visit", "Perm", "Num", "Derived"),
            Var("SVENDY", "Study Day of End of Visit", "Perm", "Num", "Derived"),
        ],
    ),
    "DS": (
        "Disposition",
        [
            *_ids("DSSEQ"),
            Var("DSTERM", "Reported Term for the Disposition Event", "Req"),
            Var(
                "DSDECOD",
                "Standardized Disposition Term",
                "Req",
                origin="Assigned",
                # by DSCAT (value level): PROTMLST for milestones, NCOMPLT for dispositions
                codelist="NCOMPLT|PROTMLST",
            ),
            Var("DSCAT", "Category for Disposition Event", origin="Assigned", codelist="DSCAT"),
            Var("DSSTDTC", "Start Date/Time of Disposition Event", "Exp"),
            Var("DSSTDY", "Study Day of Start of Disposition Event", "Perm", "Num", "Derived"),
        ],
    ),
    "EX": (
        "Exposure",
        [
            *_ids("EXSEQ"),
            Var("EXREFID", "Reference ID"),
            Var("EXSPID", "Sponsor-Defined Identifier"),
            Var("EXTRT", "Name of Treatment", "Req"),
            Var("EXDOSE", "Dose", "Exp", "Num"),
            Var("EXDOSU", "Dose Units", "Exp", codelist="UNIT"),
            Var("EXDOSFRM", "Dose Form", "Exp", codelist="FRM"),
            Var("EXROUTE", "Route of Administration", codelist="ROUTE"),
            Var("EXLOT", "Lot Number"),
            *_visit("Perm"),
            Var("EXSTDTC", "Start Date/Time of Treatment", "Exp"),
            Var("EXENDTC", "End Date/Time of Treatment", "Exp"),
            Var("EXSTDY", "Study Day of Start of Treatment", "Perm", "Num", "Derived"),
            Var("EXENDY", "Study Day of End of Treatment", "Perm", "Num", "Derived"),
        ],
    ),
    "AE": (
        "Adverse Events",
        [
            *_ids("AESEQ"),
            Var("AESPID", "Sponsor-Defined Identifier"),
            Var("AETERM", "Reported Term for the Adverse Event", "Req"),
            # Req; MedDRA coding is the site's (a licence): until then declared uncoded
            Var("AEDECOD", "Dictionary-Derived Term", "Req", origin="Assigned"),
            Var("AEBODSYS", "Body System or Organ Class", "Exp", origin="Assigned"),
            Var("AESEV", "Severity/Intensity", codelist="AESEV"),
            Var("AESER", "Serious Event", "Exp", codelist="NY"),
            Var("AEACN", "Action Taken with Study Treatment", "Exp", codelist="ACN"),
            Var("AEACNOTH", "Other Action Taken"),
            Var("AEREL", "Causality", "Exp"),  # no CDISC code list: sponsor-defined terms
            Var("AEOUT", "Outcome of Adverse Event", codelist="OUT"),
            Var("AESCONG", "Congenital Anomaly or Birth Defect", codelist="NY"),
            Var("AESDISAB", "Persist or Signif Disability/Incapacity", codelist="NY"),
            Var("AESDTH", "Results in Death", codelist="NY"),
            Var("AESHOSP", "Requires or Prolongs Hospitalization", codelist="NY"),
            Var("AESLIFE", "Is Life Threatening", codelist="NY"),
            Var("AESMIE", "Other Medically Important Serious Event", codelist="NY"),
            Var("AETOXGR", "Standard Toxicity Grade", origin="Derived", codelist="TOXGR"),
            Var("AESTDTC", "Start Date/Time of Adverse Event", "Exp"),
            Var("AEENDTC", "End Date/Time of Adverse Event", "Exp"),
            Var("AESTDY", "Study Day of Start of Adverse Event", "Perm", "Num", "Derived"),
            Var("AEENDY", "Study Day of End of Adverse Event", "Perm", "Num", "Derived"),
        ],
    ),
    **{name: (f"Supplemental Qualifiers for {name[4:]}", list(_SUPP)) for name in SUPP_DOMAINS},
}


# --- Trial design domains (SDTMIG 3.3 section 7); built by ``trial_design`` from the protocol.
TRIAL_DESIGN: dict[str, tuple[str, list[Var]]] = {
    "TS": (
        "Trial Summary",
        [
            Var("STUDYID", "Study Identifier", "Req", origin="Protocol"),
            Var("DOMAIN", "Domain Abbreviation", "Req", origin="Assigned"),
            Var("TSSEQ", "Sequence Number", "Req", "Num", origin="Derived"),
            Var("TSGRPID", "Group ID", "Perm", origin="Protocol"),
            Var("TSPARMCD", "Trial Summary Parameter Short Name", "Req", origin="Protocol"),
            Var("TSPARM", "Trial Summary Parameter", "Req", origin="Protocol"),
            Var("TSVAL", "Parameter Value", "Exp", origin="Protocol"),
            Var("TSVALNF", "Parameter Null Flavor", "Perm", origin="Protocol"),
            Var("TSVALCD", "Parameter Value Code", "Exp", origin="Protocol"),
            Var("TSVCDREF", "Name of the Reference Terminology", "Exp", origin="Protocol"),
            Var("TSVCDVER", "Version of the Reference Terminology", "Exp", origin="Protocol"),
        ],
    ),
    "TA": (
        "Trial Arms",
        [
            Var("STUDYID", "Study Identifier", "Req", origin="Protocol"),
            Var("DOMAIN", "Domain Abbreviation", "Req", origin="Assigned"),
            Var("ARMCD", "Planned Arm Code", "Req", origin="Protocol"),
            Var("ARM", "Description of Planned Arm", "Req", origin="Protocol"),
            Var("TAETORD", "Planned Order of Element within Arm", "Req", "Num", origin="Protocol"),
            Var("ETCD", "Element Code", "Req", origin="Protocol"),
            Var("ELEMENT", "Description of Element", "Perm", origin="Protocol"),
            Var("TABRANCH", "Branch", "Exp", origin="Protocol"),
            Var("TATRANS", "Transition Rule", "Exp", origin="Protocol"),
            Var("EPOCH", "Epoch", "Req", origin="Protocol"),
        ],
    ),
    "TE": (
        "Trial Elements",
        [
            Var("STUDYID", "Study Identifier", "Req", origin="Protocol"),
            Var("DOMAIN", "Domain Abbreviation", "Req", origin="Assigned"),
            Var("ETCD", "Element Code", "Req", origin="Protocol"),
            Var("ELEMENT", "Description of Element", "Req", origin="Protocol"),
            Var("TESTRL", "Rule for Start of Element", "Req", origin="Protocol"),
            Var("TEENRL", "Rule for End of Element", "Perm", origin="Protocol"),
            Var("TEDUR", "Planned Duration of Element", "Perm", origin="Protocol"),
        ],
    ),
    "TV": (
        "Trial Visits",
        [
            Var("STUDYID", "Study Identifier", "Req", origin="Protocol"),
            Var("DOMAIN", "Domain Abbreviation", "Req", origin="Assigned"),
            Var("VISITNUM", "Visit Number", "Req", "Num", origin="Protocol"),
            Var("VISIT", "Visit Name", "Perm", origin="Protocol"),
            Var("VISITDY", "Planned Study Day of Visit", "Perm", "Num", origin="Protocol"),
            Var("ARMCD", "Planned Arm Code", "Exp", origin="Protocol"),
            Var("ARM", "Description of Planned Arm", "Perm", origin="Protocol"),
            Var("TVSTRL", "Visit Start Rule", "Req", origin="Protocol"),
            Var("TVENRL", "Visit End Rule", "Perm", origin="Protocol"),
        ],
    ),
    "TI": (
        "Trial Inclusion/Exclusion Criteria",
        [
            Var("STUDYID", "Study Identifier", "Req", origin="Protocol"),
            Var("DOMAIN", "Domain Abbreviation", "Req", origin="Assigned"),
            Var("IETESTCD", "Incl/Excl Criterion Short Name", "Req", origin="Protocol"),
            Var("IETEST", "Inclusion/Exclusion Criterion", "Req", origin="Protocol"),
            Var("IECAT", "Inclusion/Exclusion Category", "Req", origin="Protocol"),
            Var("TIRL", "Inclusion/Exclusion Criterion Rules", "Perm", origin="Protocol"),
            Var("TIVERS", "Protocol Criteria Versions", "Perm", origin="Protocol"),
        ],
    ),
}
DOMAINS.update(TRIAL_DESIGN)
