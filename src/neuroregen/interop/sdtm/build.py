"""The domains of a :class:`~neuroregen.interop.dataset.Dataset` as data frames."""

from __future__ import annotations

from typing import Any

import pandas as pd
from django.utils import translation

from neuroregen.interop.dataset import Dataset
from neuroregen.interop.sdtm.codes import Test
from neuroregen.interop.sdtm.events import ae_rows, ex_rows
from neuroregen.interop.sdtm.findings import code_tests, lb_rows, qs_rows
from neuroregen.interop.sdtm.spec import DOMAINS
from neuroregen.interop.sdtm.subjects import dm_row, ds_rows, sv_rows
from neuroregen.interop.sdtm.trial_design import trial_design_rows


def build_domains(dataset: Dataset) -> dict[str, pd.DataFrame]:
    """The SDTM domains as data frames (columns in SDTMIG order)."""
    # Submission values are English whatever language the person exporting reads.
    with translation.override("en"):
        return _build_domains(dataset)


def _build_domains(dataset: Dataset) -> dict[str, pd.DataFrame]:
    study = dataset.protocol.code
    rows: dict[str, list[dict[str, Any]]] = {k: [] for k in DOMAINS}
    visitnum = {d.code: float(i) for i, d in enumerate(dataset.definitions, start=1)}
    wanted: dict[Test, tuple[str, str]] = {}  # every test, coded once all rows are in
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
        rows["QS"].extend(qs_rows(dataset, participant, base, zero, visits, visitnum, wanted))
        rows["LB"].extend(lb_rows(dataset, participant, base, zero, visits, visitnum))
        exposures = ex_rows(dataset, participant, base, zero, visits, visitnum)
        if exposures:
            dm["RFXENDTC"] = max(e["EXENDTC"] for e in exposures)
        rows["EX"].extend(exposures)
        rows["AE"].extend(ae_rows(dataset, participant, base, zero))
    code_tests(rows["QS"], wanted)
    rows.update(trial_design_rows(dataset, visitnum, rows["DM"]))
    return {
        domain: pd.DataFrame(rows[domain], columns=[v.name for v in variables])
        for domain, (_label, variables) in DOMAINS.items()
    }
