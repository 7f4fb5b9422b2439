"""Findings: QS (every answer, missing-data code and score of a form) and LB (biomarker
measurements)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from neuroregen.biomarkers.catalogue import ANALYTES
from neuroregen.instruments.choices import ResponseStatus
from neuroregen.interop.dataset import Dataset
from neuroregen.interop.sdtm import codes
from neuroregen.interop.sdtm.terms import LBTESTCD, SPEC
from neuroregen.interop.sdtm.values import iso, number, sdtm_day


def qs_rows(
    dataset: Dataset,
    participant: Any,
    base: dict[str, Any],
    zero: dt.date | None,
    visits: list[Any],
    visitnum: dict[str, float],
    wanted: dict[codes.Test, tuple[str, str]],
) -> list[dict[str, Any]]:
    """The child's QS rows: one per item and score of a form, one per form not done.

    ``QSTESTCD`` holds the test until :func:`code_tests` gives every test its code; ``wanted``
    collects what each test's code is made from.
    """
    found: list[dict[str, Any]] = []
    qs_seq = 0
    for visit in visits:
        vnum = visitnum.get(visit.code, float(visit.target_day))
        for response in dataset.responses.get(visit.pk, []):
            code = response.instrument.code
            on = dataset.shift(participant, response.answered_on)
            common = {
                **base,
                "DOMAIN": "QS",
                "QSCAT": response.instrument.title[:40].upper(),
                "VISITNUM": vnum,
                "VISIT": visit.code,
                "QSDTC": iso(on),
                "QSDY": sdtm_day(zero, on),
            }
            if response.status == ResponseStatus.NOT_DONE:
                qs_seq += 1
                key = (code, "ALL")
                wanted.setdefault(key, (f"{code}ALL", code))
                found.append(
                    {
                        **common,
                        "QSSEQ": float(qs_seq),
                        "QSTESTCD": key,
                        "QSTEST": f"{code} all questions"[:40],
                        "QSSTAT": "NOT DONE",
                        "QSREASND": response.not_done_reason[:200],
                    }
                )
                continue
            for name, kind, value in _qs_values(response):
                qs_seq += 1
                key = (code, name)
                wanted.setdefault(key, (name, code))
                missing = response.missing.get(name, "")
                found.append(
                    {
                        **common,
                        "QSSEQ": float(qs_seq),
                        "QSTESTCD": key,
                        "QSTEST": name[:40],
                        "QSSCAT": kind,
                        "QSORRES": "" if missing else str(value),
                        "QSSTRESC": "" if missing else str(value),
                        "QSSTRESN": None if missing else number(value),
                        "QSSTAT": "NOT DONE" if missing else "",
                        "QSREASND": missing,
                    }
                )
    return found


def code_tests(rows: list[dict[str, Any]], wanted: dict[codes.Test, tuple[str, str]]) -> None:
    """Replace the test in each row's ``QSTESTCD`` by its code, made once per test."""
    assigned = codes.assign(wanted)
    for row in rows:
        row["QSTESTCD"] = assigned[row["QSTESTCD"]]


def _qs_values(response: Any) -> Iterable[tuple[str, str, Any]]:
    for name in sorted(set(response.answers) | set(response.missing)):
        value = response.answers.get(name, "")
        if isinstance(value, list):
            value = "|".join(value)
        if value == "" and name not in response.missing:
            continue
        yield name, "ITEM", value
    for code, score in sorted(response.scores.items()):
        value = score.get("value") if isinstance(score, dict) else score
        if value is not None:
            yield code, "SCORE", value


def lb_rows(
    dataset: Dataset,
    participant: Any,
    base: dict[str, Any],
    zero: dt.date | None,
    visits: list[Any],
    visitnum: dict[str, float],
) -> list[dict[str, Any]]:
    """One LB row per measurement, its visit the one it was collected at (if any)."""
    found = []
    for seq, m in enumerate(dataset.measurements.get(participant.pk, []), start=1):
        analyte = ANALYTES[m.analyte]
        on = dataset.shift(participant, m.collected_at)
        visit = next((v for v in visits if v.pk == m.visit_id), None)
        found.append(
            {
                **base,
                "DOMAIN": "LB",
                "LBSEQ": float(seq),
                "LBTESTCD": LBTESTCD.get(m.analyte, m.analyte.upper()[:8]),
                "LBTEST": analyte.name[:40],
                "LBCAT": analyte.kind.upper(),
                "LBORRES": m.reported_value,
                "LBORRESU": m.reported_unit,
                "LBSTRESC": "" if m.value is None else str(m.value.normalize()),
                "LBSTRESN": None if m.value is None or m.censored else float(m.value),
                "LBSTRESU": m.unit,
                "LBSPEC": SPEC.get(m.matrix, m.matrix.upper()),
                "LBMETHOD": m.assay[:200].upper(),
                "LBLLOQ": None if m.lloq is None else float(m.lloq),
                "VISITNUM": visitnum.get(visit.code) if visit else None,
                "VISIT": visit.code if visit else "",
                "LBDTC": iso(on),
                "LBDY": sdtm_day(zero, on.date() if on else None),
            }
        )
    return found
