"""Findings: QS (every answer, missing-data code and score of a form) and LB (biomarker
measurements)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from neuroregen.biomarkers.catalogue import ANALYTES
from neuroregen.instruments.choices import ResponseStatus
from neuroregen.interop.dataset import Dataset
from neuroregen.interop.sdtm import codes
from neuroregen.interop.sdtm.ct import QS_CT, lb_test, own_abbreviation, qs_category
from neuroregen.interop.sdtm.spec import DOMAINS
from neuroregen.interop.sdtm.terms import SPEC
from neuroregen.interop.sdtm.text import plain, shorten
from neuroregen.interop.sdtm.values import iso, number, sdtm_day


@dataclass
class QsNaming:
    """QSCAT of each instrument and the full name of each test (QSTEST is it, shortened at a
    word boundary to 40 characters; the full names are kept for define.xml)."""

    categories: dict[str, str] = field(default_factory=dict)
    names: dict[codes.Test, str] = field(default_factory=dict)

    def category(self, instrument: Any) -> str:
        if instrument.code not in self.categories:
            self.categories[instrument.code] = qs_category(instrument.code, instrument.title)
        return self.categories[instrument.code]

    def test(self, instrument: str, name: str) -> str:
        if (instrument, name) in QS_CT:
            return QS_CT[instrument, name][1]
        return shorten(self.names.get((instrument, name)) or name, 40)


def qs_naming(dataset: Dataset) -> QsNaming:
    """The name of every item and score of the dataset's instruments, as plain ASCII text."""
    naming = QsNaming()
    for instrument in dataset.instruments:
        naming.category(instrument)
        for f in instrument.fields.all():
            naming.names[instrument.code, f.field_name] = plain(f.field_label) or f.field_name
        for score in instrument.scores.all():
            naming.names[instrument.code, score.code] = plain(score.label) or score.code
    return naming


def qs_columns() -> dict[str, list[Any]]:
    """Empty QS columns (QS is built column by column: millions of rows on a large registry)."""
    return {v.name: [] for v in DOMAINS["QS"][1]}


def qs_rows(
    dataset: Dataset,
    participant: Any,
    base: dict[str, Any],
    zero: dt.date | None,
    visits: list[Any],
    visitnum: dict[str, float],
    wanted: dict[codes.Test, tuple[str, str]],
    naming: QsNaming,
    out: dict[str, list[Any]],
) -> None:
    """Append the child's QS rows to the columns ``out``: one per item and score of a form, one
    per form not done.

    ``QSTESTCD`` holds the test until :func:`code_tests` gives every test its code; ``wanted``
    collects what each test's code is made from.
    """
    qs_seq = 0
    for visit in visits:
        vnum = visitnum.get(visit.code, float(visit.target_day))
        for response in dataset.responses.get(visit.pk, []):
            code = response.instrument.code
            on = dataset.shift(participant, response.answered_on)
            common = {
                **base,
                "DOMAIN": "QS",
                "QSCAT": naming.category(response.instrument),
                "VISITNUM": vnum,
                "VISIT": visit.code,
                "QSDTC": iso(on),
                "QSDY": sdtm_day(zero, on),
            }
            found: list[tuple[codes.Test, str, str, str, float | None, str, str]] = []
            if response.status == ResponseStatus.NOT_DONE:
                key = (code, "ALL")
                wanted.setdefault(key, (f"{code}ALL", code))
                title = own_abbreviation(response.instrument.title)
                reason = response.not_done_reason
                found.append((key, f"{title} all questions", "", "", None, "NOT DONE", reason))
            else:
                for name, kind, value in _qs_values(response):
                    key = (code, name)
                    wanted.setdefault(key, (QS_CT.get(key, (name,))[0], code))
                    missing = response.missing.get(name, "")
                    text = "" if missing else str(value)
                    found.append(
                        (
                            key,
                            naming.test(code, name),
                            kind,
                            text,
                            None if missing else number(value),
                            "NOT DONE" if missing else "",
                            missing,
                        )
                    )
            n = len(found)
            for column, value in common.items():
                out[column].extend([value] * n)
            out["QSSEQ"].extend(float(s) for s in range(qs_seq + 1, qs_seq + n + 1))
            qs_seq += n
            for key, test, kind, text, numeric, status, reason in found:
                out["QSTESTCD"].append(key)
                out["QSTEST"].append(test)
                out["QSSCAT"].append(kind)
                out["QSORRES"].append(text)
                out["QSSTRESC"].append(text)
                out["QSSTRESN"].append(numeric)
                out["QSSTAT"].append(status)
                out["QSREASND"].append(reason)


def code_tests(
    out: dict[str, list[Any]], wanted: dict[codes.Test, tuple[str, str]]
) -> dict[codes.Test, str]:
    """Replace the test in each row's ``QSTESTCD`` by its code, made once per test."""
    fixed = {test: QS_CT[test][0] for test in wanted if test in QS_CT}
    assigned = codes.assign(wanted, "QS", fixed)
    out["QSTESTCD"] = [assigned[test] for test in out["QSTESTCD"]]
    return assigned


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
        testcd, test, _ct = lb_test(m.analyte, str(analyte.name))
        on = dataset.shift(participant, m.collected_at)
        visit = next((v for v in visits if v.pk == m.visit_id), None)
        found.append(
            {
                **base,
                "DOMAIN": "LB",
                "LBSEQ": float(seq),
                "LBTESTCD": testcd,
                "LBTEST": test,
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
