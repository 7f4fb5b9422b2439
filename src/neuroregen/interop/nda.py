"""NIMH Data Archive submission CSVs: ``ndar_subject01`` and ``atec01``.

NDA files have two header rows: the structure's short name and version, then the element
names. ``subjectkey`` is the NDA GUID, made by the site with the NDA GUID tool from identity
this system never sends; it is left empty for the site to fill (the validator will ask).
``interview_age`` is in whole months at the interview; ``interview_date`` is MM/DD/YYYY.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from neuroregen.instruments.choices import ResponseStatus
from neuroregen.interop.csvsafe import write_csv
from neuroregen.interop.dataset import Dataset

SEX = {"M": "M", "F": "F", "U": "NR"}


def _months(participant: Any, on: dt.date) -> int:
    screened = participant.screened_on
    return (
        participant.age_months_at_screening
        + (on.year - screened.year) * 12
        + (on.month - screened.month)
        - (1 if on.day < screened.day else 0)
    )


def _with_title(short: str, version: str, header: list[str], rows: list[list[Any]]) -> str:
    return write_csv([short, version], []) + write_csv(header, rows)


def subject_rows(dataset: Dataset) -> str:
    header = [
        "subjectkey",
        "src_subject_id",
        "interview_date",
        "interview_age",
        "sex",
        "phenotype",
        "site",
    ]
    rows = []
    for p in dataset.participants:
        on = p.screened_on
        rows.append(
            [
                "",
                p.study_code,
                dataset.shift(p, on).strftime("%m/%d/%Y"),
                _months(p, on),
                SEX.get(p.sex, "NR"),
                "Autism spectrum disorder",
                p.site.code,
            ]
        )
    return _with_title("ndar_subject", "01", header, rows)


def atec_rows(dataset: Dataset) -> str:
    header = [
        "subjectkey",
        "src_subject_id",
        "interview_date",
        "interview_age",
        "sex",
        "visit",
        "atec_total",
        "atec_speech",
        "atec_social",
        "atec_sensory",
        "atec_health",
    ]
    rows = []
    parts = ("atec_total", "atec_i", "atec_ii", "atec_iii", "atec_iv")
    for p in dataset.participants:
        for visit in dataset.visits.get(p.pk, []):
            for r in dataset.responses.get(visit.pk, []):
                if r.instrument.code != "atec" or r.status not in ResponseStatus.finished():
                    continue
                on = r.answered_on or visit.done_on
                if on is None:
                    continue
                values = [(r.scores.get(k) or {}).get("value") for k in parts]
                rows.append(
                    [
                        "",
                        p.study_code,
                        dataset.shift(p, on).strftime("%m/%d/%Y"),
                        _months(p, on),
                        SEX.get(p.sex, "NR"),
                        visit.code,
                        *("" if v is None else v for v in values),
                    ]
                )
    return _with_title("atec", "01", header, rows)


def write_structures(dataset: Dataset, out: Path) -> list[Path]:
    paths = []
    for name, text in (
        ("ndar_subject01.csv", subject_rows(dataset)),
        ("atec01.csv", atec_rows(dataset)),
    ):
        path = out / name
        path.write_text(text, encoding="utf-8", newline="")
        paths.append(path)
    return paths
