"""NIMH Data Archive submission CSVs: ``ndar_subject01`` and ``atec01``.

NDA files have two header rows: the structure's short name and version, then the element
names. ``subjectkey`` is the child's NDA GUID, made by the site with the NDA GUID tool and
recorded on the participant (:mod:`neuroregen.participants.nda_guid`); it is identity-level,
so only an exporter who may see the child's identity gets it. A child without a GUID stops
the export (listed by study code) unless a pre-submission file is asked for
(``allow_missing_guid``): its files are named ``PRESUBMISSION_…`` and the title row carries a
third cell saying so (NDA reads the structure's name and version from the first two cells);
the missing ``subjectkey`` cells stay empty, which NDA's validator refuses, so such a file
cannot be submitted by mistake. ``interview_age`` is in whole months at the interview;
``interview_date`` is MM/DD/YYYY. ``atec01`` carries every item answer in NDA's element names
(:mod:`neuroregen.interop.nda_atec01`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from neuroregen.core.errors import ValidationFailed
from neuroregen.instruments.choices import ResponseStatus
from neuroregen.interop.csvsafe import write_csv
from neuroregen.interop.dataset import Dataset
from neuroregen.interop.nda_atec01 import ITEM_ELEMENTS, SCORE_ELEMENTS

PRESUBMISSION = "PRESUBMISSION_"

SEX = {"M": "M", "F": "F", "U": "NR"}


def _months(participant: Any, on: dt.date) -> int:
    screened = participant.screened_on
    return (
        participant.age_months_at_screening
        + (on.year - screened.year) * 12
        + (on.month - screened.month)
        - (1 if on.day < screened.day else 0)
    )


def missing_guids(dataset: Dataset) -> list[str]:
    """Study codes of the children whose GUID this export cannot carry."""
    return [p.study_code for p in dataset.participants if p.pk not in dataset.nda_guids]


def _marker(dataset: Dataset) -> list[str]:
    missing = missing_guids(dataset)
    if not missing:
        return []
    return [
        f"PRE-SUBMISSION, NOT FOR UPLOAD: no NDA GUID for {len(missing)} child(ren): "
        + " ".join(missing)
    ]


def _with_title(
    dataset: Dataset, short: str, version: str, header: list[str], rows: list[list[Any]]
) -> str:
    return write_csv([short, version, *_marker(dataset)], []) + write_csv(header, rows)


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
                dataset.nda_guids.get(p.pk, ""),
                p.study_code,
                dataset.shift(p, on).strftime("%m/%d/%Y"),
                _months(p, on),
                SEX.get(p.sex, "NR"),
                "Autism spectrum disorder",
                p.site.code,
            ]
        )
    return _with_title(dataset, "ndar_subject", "01", header, rows)


def _answer(value: Any) -> Any:
    return "" if value in (None, "", []) else value


def atec_rows(dataset: Dataset) -> str:
    header = [
        "subjectkey",
        "src_subject_id",
        "interview_date",
        "interview_age",
        "sex",
        "visit",
        *ITEM_ELEMENTS.values(),
        *SCORE_ELEMENTS,
    ]
    rows = []
    for p in dataset.participants:
        for visit in dataset.visits.get(p.pk, []):
            for r in dataset.responses.get(visit.pk, []):
                if r.instrument.code != "atec" or r.status not in ResponseStatus.finished():
                    continue
                on = r.answered_on or visit.done_on
                if on is None:
                    continue
                scores = [(r.scores.get(k) or {}).get("value") for k in SCORE_ELEMENTS.values()]
                rows.append(
                    [
                        dataset.nda_guids.get(p.pk, ""),
                        p.study_code,
                        dataset.shift(p, on).strftime("%m/%d/%Y"),
                        _months(p, on),
                        SEX.get(p.sex, "NR"),
                        visit.code,
                        *(_answer(r.answers.get(field)) for field in ITEM_ELEMENTS),
                        *("" if v is None else v for v in scores),
                    ]
                )
    return _with_title(dataset, "atec", "01", header, rows)


def write_structures(dataset: Dataset, out: Path) -> list[Path]:
    """Both structures; refused while a child has no GUID unless a pre-submission is asked."""
    missing = missing_guids(dataset)
    if missing and not dataset.options.allow_missing_guid:
        raise ValidationFailed(
            _(
                "No NDA GUID for %(n)d child(ren): %(codes)s. Record their GUIDs (made with the "
                "NDA GUID tool at the site) on their pages, or ask for a pre-submission file."
            )
            % {"n": len(missing), "codes": ", ".join(missing)},
            field="allow_missing_guid",
        )
    prefix = PRESUBMISSION if missing else ""
    paths = []
    for name, text in (
        ("ndar_subject01.csv", subject_rows(dataset)),
        ("atec01.csv", atec_rows(dataset)),
    ):
        path = out / f"{prefix}{name}"
        path.write_text(text, encoding="utf-8", newline="")
        paths.append(path)
    return paths
