"""Controlled terminology of the findings: LB tests and QS categories/tests, and which code
lists are CDISC's and which are our own (sponsor-defined), as data for define.xml.

LB test codes and names are CDISC CT submission values (codelists LBTESTCD C65047 and LBTEST
C67154). QS tests come from CDISC CT only where the instrument has a published QS code list:
of our instruments that is the CGI (Clinical Global Impression, QSCAT ``CGI``; severity and
improvement are CGI0101/CGI0102). ATEC, CSHQ, ABC-2, CARS-2, SRS-2 and Vineland-3 have none in
CDISC CT (the copyrighted ones are entered as totals only): their codes are sponsor-defined,
made once per test and kept in the code table (:mod:`.codes`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from neuroregen.interop.sdtm.text import ascii_text, shorten

CT_VERSION = "2025-03-25"  # the SDTM CT package (NCI EVS) the terms were checked against


@dataclass(frozen=True)
class Codelist:
    """Where the QS codes of one instrument come from (read by the define.xml writer)."""

    instrument: str
    category: str  # QSCAT
    source: str  # "CDISC CT" or "Sponsor-defined"
    note: str = ""

    @property
    def sponsor_defined(self) -> bool:
        return self.source != "CDISC CT"


# (instrument, field or score) → (QSTESTCD, QSTEST), CDISC CT QS code lists (CGI)
QS_CT: dict[tuple[str, str], tuple[str, str]] = {
    ("cgi_s", "cgi_s"): ("CGI0101", "CGI01-Severity"),
    ("cgi_i", "cgi_i"): ("CGI0102", "CGI01-Improvement"),
}
QS_CT_CATEGORY = {"cgi_s": "CGI", "cgi_i": "CGI"}

# LB: our analyte → (LBTESTCD, LBTEST), CDISC CT
LB_CT: dict[str, tuple[str, str]] = {
    "il6": ("IL6", "Interleukin 6"),
    "tnfa": ("TNFA", "Tumor Necrosis Factor Alpha"),
    "il1b": ("IL1B", "Interleukin 1 Beta"),
    "il10": ("IL10", "Interleukin 10"),
    "ifng": ("IFNG", "Interferon Gamma"),
    "crp": ("CRP", "C Reactive Protein"),
}

_ABBREVIATION = re.compile(r"\(([^()]{2,20})\)")


def qs_category(instrument: str, title: str) -> str:
    """QSCAT: the CT category where one exists, else the instrument's own abbreviation (the
    parenthesised short name of its title, "ATEC", "CARS-2"), else its title shortened at a
    word boundary to 40 characters — never cut inside a word."""
    if instrument in QS_CT_CATEGORY:
        return QS_CT_CATEGORY[instrument]
    return own_abbreviation(title).upper()


def own_abbreviation(title: str) -> str:
    """The instrument's short name: the parenthesised abbreviation in its title ("CGI-S"),
    else the title shortened at a word boundary to 40 characters (ASCII)."""
    found = _ABBREVIATION.search(title)
    return shorten(ascii_text(found.group(1) if found else title), 40)


def qs_codelist(instrument: str, title: str) -> Codelist:
    category = qs_category(instrument, title)
    if instrument in QS_CT_CATEGORY:
        return Codelist(instrument, category, "CDISC CT", CT_VERSION)
    return Codelist(
        instrument,
        category,
        "Sponsor-defined",
        "Not in CDISC CT; codes assigned once per test and kept (never reassigned).",
    )


def lb_test(analyte: str, name: str) -> tuple[str, str, bool]:
    """(LBTESTCD, LBTEST, from CDISC CT) of an analyte; our own short code otherwise."""
    if analyte in LB_CT:
        code, test = LB_CT[analyte]
        return code, test, True
    code = re.sub(r"[^A-Z0-9]", "", analyte.upper())[:8] or "LBTEST"
    return code, shorten(ascii_text(name), 40), False
