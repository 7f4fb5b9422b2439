"""Controlled terms of the trial design domains (CDISC SDTM CT, NCI EVS): the TS parameters
and the submission values our protocol choices map to, with their NCI codes where we state
them.

NCI codes (``C…``) are given only for terms whose code we checked; a term without one is
written without ``TSVALCD``. Reference: CDISC SDTM Controlled Terminology, codelists TSPARMCD
(C66738), TSPARM (C67152), TPHASE (C66737), TBLIND (C66735), TCNTRL (C66785), STYPE (C99077),
TTYPE (C66739), SEXPOP (C66732), NY (C66742).
"""

from __future__ import annotations

from neuroregen.protocols import choices as pc

CT = "CDISC CT"
ISO8601 = "ISO 8601"
ISO3166 = "ISO 3166-1 alpha-3"

#: The SDTM and SDTMIG versions this export follows (Define-XML 2.0 pairs with SDTMIG 3.3).
SDTM_VERSION = "1.7"
SDTMIG_VERSION = "3.3"

#: TSPARMCD → TSPARM (≤ 40 characters), in the order the TS rows are written.
PARAMETERS: dict[str, str] = {
    "TITLE": "Trial Title",
    "SPONSOR": "Clinical Study Sponsor",
    "REGID": "Registry Identifier",
    "SSTDTC": "Study Start Date",
    "TPHASE": "Trial Phase Classification",
    "STYPE": "Study Type",
    "TTYPE": "Trial Type",
    "INDIC": "Trial Disease/Condition Indication",
    "OBJPRIM": "Trial Primary Objective",
    "OUTMSPRI": "Primary Outcome Measure",
    "TRT": "Investigational Therapy or Treatment",
    "INTTYPE": "Intervention Type",
    "INTMODEL": "Intervention Model",
    "ADDON": "Added on to Existing Treatments",
    "NARMS": "Planned Number of Arms",
    "RANDOM": "Trial is Randomized",
    "TBLIND": "Trial Blinding Schema",
    "TCNTRL": "Control Type",
    "AGEMIN": "Planned Minimum Age of Subjects",
    "AGEMAX": "Planned Maximum Age of Subjects",
    "SEXPOP": "Sex of Participants",
    "HLTSUBJI": "Healthy Subject Indicator",
    "PDSTIND": "Pediatric Study Indicator",
    "FCNTRY": "Planned Country of Investigational Sites",
    "LENGTH": "Trial Length",
    "PLANSUB": "Planned Number of Subjects",
    "ACTSUB": "Actual Number of Subjects",
    "SDTMVER": "SDTM Version",
    "SDTIGVER": "SDTM IG Version",
}

# (submission value, NCI code or "")
TPHASE: dict[str, tuple[str, str]] = {
    pc.TrialPhase.PHASE_1: ("PHASE I TRIAL", "C15600"),
    pc.TrialPhase.PHASE_1_2: ("PHASE I/II TRIAL", "C15693"),
    pc.TrialPhase.PHASE_2: ("PHASE II TRIAL", "C15601"),
    pc.TrialPhase.PHASE_2_3: ("PHASE II/III TRIAL", "C15694"),
    pc.TrialPhase.PHASE_3: ("PHASE III TRIAL", "C15602"),
    pc.TrialPhase.PHASE_4: ("PHASE IV TRIAL", "C49686"),
    pc.TrialPhase.NOT_APPLICABLE: ("NOT APPLICABLE", "C48660"),
}
TBLIND: dict[str, tuple[str, str]] = {
    pc.Blinding.OPEN_LABEL: ("OPEN LABEL", "C49659"),
    pc.Blinding.SINGLE_BLIND: ("SINGLE BLIND", "C28233"),
    pc.Blinding.DOUBLE_BLIND: ("DOUBLE BLIND", "C15228"),
}
TCNTRL: dict[str, tuple[str, str]] = {
    pc.ControlType.NONE: ("NONE", ""),
    pc.ControlType.PLACEBO: ("PLACEBO", ""),
    pc.ControlType.ACTIVE: ("ACTIVE", ""),
    pc.ControlType.DOSE_COMPARISON: ("DOSE RESPONSE", ""),
    pc.ControlType.HISTORICAL: ("HISTORICAL", ""),
}
STYPE: dict[str, tuple[str, str]] = {
    pc.StudyType.INTERVENTIONAL: ("INTERVENTIONAL", "C98388"),
    pc.StudyType.OBSERVATIONAL: ("OBSERVATIONAL", "C16084"),
    pc.StudyType.EXPANDED_ACCESS: ("EXPANDED ACCESS", ""),
}
TTYPE: dict[str, list[tuple[str, str]]] = {
    pc.TrialType.SAFETY: [("SAFETY", "C49667")],
    pc.TrialType.EFFICACY: [("EFFICACY", "C49666")],
    pc.TrialType.SAFETY_EFFICACY: [("EFFICACY", "C49666"), ("SAFETY", "C49667")],
}
NY: dict[bool, tuple[str, str]] = {True: ("Y", "C49488"), False: ("N", "C49487")}
SEXPOP: dict[str, tuple[str, str]] = {"BOTH": ("BOTH", "C49636"), "M": ("M", ""), "F": ("F", "")}
#: EPOCH terms (CDISC CT EPOCH, C99079) of our three elements.
EPOCH = {"screening": "SCREENING", "treatment": "TREATMENT", "follow_up": "FOLLOW-UP"}
