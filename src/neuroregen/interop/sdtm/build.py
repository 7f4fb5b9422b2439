"""The domains of a :class:`~neuroregen.interop.dataset.Dataset` as data frames, with what the
export must say about them (uncoded AE terms, sponsor-defined code lists, transliterated and
shortened texts) as data the command, the export page and define.xml read."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from django.utils import translation

from neuroregen.interop.dataset import Dataset
from neuroregen.interop.sdtm.codes import Test
from neuroregen.interop.sdtm.ct import Codelist, qs_codelist
from neuroregen.interop.sdtm.events import ae_rows, ex_rows
from neuroregen.interop.sdtm.findings import code_tests, lb_rows, qs_columns, qs_naming, qs_rows
from neuroregen.interop.sdtm.spec import DOMAINS, SUPP_DOMAINS
from neuroregen.interop.sdtm.subjects import dm_row, ds_rows, sv_rows
from neuroregen.interop.sdtm.supp import Original, ascii_frames, supp_frames
from neuroregen.interop.sdtm.trial_design import trial_design_rows

AE_UNCODED = (
    "AE terms are not coded to MedDRA: AEDECOD and AEBODSYS are empty in %(uncoded)d of "
    "%(total)d AE records. The AE dataset is not conformant until the terms are coded."
)


@dataclass
class SdtmExport:
    """The domains and what an export of them must state."""

    frames: dict[str, pd.DataFrame]
    codelists: list[Codelist] = field(default_factory=list)  # QS: CDISC CT or sponsor-defined
    test_names: dict[str, str] = field(default_factory=dict)  # QSTESTCD → full name (> 40)
    originals: list[Original] = field(default_factory=list)  # values transliterated to ASCII
    uncoded_ae: int = 0  # AE records without a MedDRA term
    messages: list[str] = field(default_factory=list)  # to show on export, plainly

    @property
    def nonconformant(self) -> dict[str, str]:
        """Domain → why it is declared not conformant (define.xml marks it)."""
        return {"AE": self.messages[0]} if self.uncoded_ae else {}

    @property
    def waived(self) -> frozenset[str]:
        """Findings declared, not hidden: the checks :func:`conformance` leaves to this
        declaration (AEDECOD empty while AE terms are uncoded)."""
        return frozenset({"AE.AEDECOD"}) if self.uncoded_ae else frozenset()


def build_domains(dataset: Dataset) -> dict[str, pd.DataFrame]:
    """The SDTM domains as data frames (columns in SDTMIG order)."""
    return build(dataset).frames


def build(dataset: Dataset) -> SdtmExport:
    """The SDTM domains and the statements that go with them."""
    # Submission values are English whatever language the person exporting reads.
    with translation.override("en"):
        return _build(dataset)


def _build(dataset: Dataset) -> SdtmExport:
    study = dataset.protocol.code
    rows: dict[str, list[dict[str, Any]]] = {
        k: [] for k in DOMAINS if k not in SUPP_DOMAINS and k != "QS"
    }
    qs = qs_columns()  # QS by columns: by far the largest domain
    visitnum = {d.code: float(i) for i, d in enumerate(dataset.definitions, start=1)}
    wanted: dict[Test, tuple[str, str]] = {}  # every test, coded once all rows are in
    naming = qs_naming(dataset)
    for participant in dataset.participants:
        base = {"STUDYID": study, "USUBJID": f"{study}-{participant.study_code}"}
        assignment = dataset.assignments[participant.pk]
        zero = dataset.shift(participant, assignment.day_zero)
        consents = [c.signed_on for c in participant.consents.all()]
        consented = min(consents) if consents else None
        visits = dataset.visits.get(participant.pk, [])
        dm = dm_row(dataset, participant, base, assignment, zero, consented)
        rows["DM"].append(dm)
        rows["DS"].extend(ds_rows(dataset, participant, base, assignment, zero, consented))
        rows["SV"].extend(sv_rows(dataset, participant, base, zero, visits, visitnum))
        qs_rows(dataset, participant, base, zero, visits, visitnum, wanted, naming, qs)
        rows["LB"].extend(lb_rows(dataset, participant, base, zero, visits, visitnum))
        exposures = ex_rows(dataset, participant, base, zero, visits, visitnum)
        if exposures:
            dm["RFXENDTC"] = max(e["EXENDTC"] for e in exposures)
            dm["RFENDTC"] = dm["RFXENDTC"][:10]
        rows["EX"].extend(exposures)
        events = ae_rows(dataset, participant, base, zero)
        fatal = [e for e in events if e["AEOUT"] == "FATAL"]
        if fatal:
            dm["DTHFL"] = "Y"
            dm["DTHDTC"] = fatal[0]["AEENDTC"] or fatal[0]["AESTDTC"]
        rows["AE"].extend(events)
    assigned = code_tests(qs, wanted)
    _participation_ends(rows, zip(qs["USUBJID"], qs["QSDTC"], strict=True))
    rows.update(trial_design_rows(dataset, visitnum, rows["DM"]))  # not per subject
    frames = {
        domain: pd.DataFrame(found, columns=[v.name for v in DOMAINS[domain][1]])
        for domain, found in rows.items()
    }
    frames["QS"] = pd.DataFrame(qs, columns=list(qs))
    frames = {domain: frames[domain] for domain in DOMAINS if domain in frames}
    originals = ascii_frames(frames)
    frames.update(supp_frames(frames))
    export = SdtmExport(frames=frames, originals=originals)
    export.codelists = [qs_codelist(i.code, i.title) for i in dataset.instruments]
    export.test_names = {
        assigned[test]: naming.names[test]
        for test in wanted
        if len(naming.names.get(test, "")) > 40
    }
    uncoded = int((frames["AE"]["AEDECOD"] == "").sum())
    if uncoded:
        export.uncoded_ae = uncoded
        export.messages.append(AE_UNCODED % {"uncoded": uncoded, "total": len(frames["AE"])})
    return export


def _participation_ends(
    rows: dict[str, list[dict[str, Any]]], more: Iterable[tuple[str, str]]
) -> None:
    """RFPENDTC: each subject's latest date in any domain (dates compare as ISO text);
    ``more`` gives (subject, date) pairs of a domain built by columns."""
    latest: dict[str, str] = {}
    for subject, value in more:
        if value and value > latest.get(subject, ""):
            latest[subject] = value
    for domain, found in rows.items():
        columns = [v.name for v in DOMAINS[domain][1] if v.name.endswith("DTC")]
        for row in found:
            subject = row["USUBJID"]
            for column in columns:
                value = row.get(column) or ""
                if value and value > latest.get(subject, ""):
                    latest[subject] = value
    for dm in rows["DM"]:
        dm["RFPENDTC"] = latest.get(dm["USUBJID"], "")
