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
  was coded (a MedDRA licence is the site's). AEDECOD is Req: while terms are uncoded the
  export says so (:attr:`SdtmExport.messages`, ``sdtm_notes.txt``, the command's output) and
  declares AE not conformant (:attr:`SdtmExport.nonconformant`, for define.xml).
  ``AESEV`` comes from the CTCAE grade (1 mild, 2 moderate, ≥ 3 severe) and ``AETOXGR`` keeps
  the grade itself; ``AEREL`` is relatedness to the product (relatedness to the procedure has
  no standard variable and stays in our own exports); ``AEACN`` maps our action to the CDISC
  ACN terms with the exact action in ``AEACNOTH`` where the term is coarser.
- DM arms as SDTMIG 3.3+: null when they do not apply, with ARMNRS saying why (``subjects``).
  DS "RANDOMIZED" is dated on the allocation (the day the protocol's rules allocated the arm).
- Test codes (``codes``): assigned once per test and kept in the ``SdtmCode`` table, never
  reassigned. CDISC CT where published (``ct``: LB; CGI in QS); sponsor-defined otherwise,
  listed in :attr:`SdtmExport.codelists`. QSTEST is the test's name, QSCAT the instrument's
  abbreviation, both ≤ 40 characters, shortened between words (full names > 40 characters in
  :attr:`SdtmExport.test_names`).
- Character values are ASCII (``text``: Greek letters spelt out, the rest transliterated with
  anyascii; each original in :attr:`SdtmExport.originals`), texts over 200 characters continue
  in SUPP-- (``supp``).
- Conformance (:func:`conformance`): Req/Exp variables present, Req ones filled (unless the
  export declares the gap, ``waived``), in order; names ≤ 8, labels ≤ 40; ``--SEQ`` unique per
  subject; ISO dates; controlled terms; test codes; ASCII and 200-byte values; every ``--DY``
  equal to its date's SDTM day and never 0; an end never before its start; AESER ``Y``
  exactly when a seriousness flag is ``Y``; grade 5 exactly when fatal; DM/DS/EX date order
  and arm rules (``conformance_dm``).

- Trial design (TS, TA, TE, TV, TI) comes from the protocol, its registration fields, schedule
  and eligibility rules; every export also writes ``define.xml`` (Define-XML 2.0.0, valid
  against the schema shipped in odmlib), where AE is marked not conformant while its terms
  are uncoded.

Modules: ``spec`` (variables of each domain, with define.xml metadata), ``terms`` and ``ct``
(controlled terms), ``values`` (study days, dates), ``text`` (ASCII, shortening), ``codes``
(test codes), ``subjects`` (DM, DS, SV), ``findings`` (QS, LB), ``events`` (EX, AE), ``supp``
(ASCII and SUPP--), ``trial_design`` and ``trial_terms`` (TS, TA, TE, TV, TI), ``build`` (all
domains of a dataset), ``xpt`` (writing), ``conformance`` and ``conformance_dm``, ``define``
and ``define_meta`` (define.xml).
This package is the import path others use.
"""

from neuroregen.interop.sdtm.build import SdtmExport, build, build_domains
from neuroregen.interop.sdtm.conformance import conformance
from neuroregen.interop.sdtm.spec import DOMAINS, Var
from neuroregen.interop.sdtm.terms import AE_FLAGS, CONTROLLED
from neuroregen.interop.sdtm.values import sdtm_day
from neuroregen.interop.sdtm.xpt import write_xpt

__all__ = [
    "AE_FLAGS",
    "CONTROLLED",
    "DOMAINS",
    "SdtmExport",
    "Var",
    "build",
    "build_domains",
    "conformance",
    "sdtm_day",
    "write_xpt",
]
