"""Recording and importing results: permissions, atomic import with every bad row listed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from neuroregen.biomarkers import services
from neuroregen.biomarkers.models import Measurement
from neuroregen.core.errors import NotPermitted
from neuroregen.core.roles import Role
from neuroregen.instruments.choices import QueryRule
from neuroregen.instruments.models import Query
from tests.helpers import make_user
from tests.instruments.builders import participant_with_visits

pytestmark = pytest.mark.django_db


@pytest.fixture
def lab_a(site_a):
    return make_user(Role.LAB, site_a, "lab-a")


def _row(participant, **overrides):
    row = {
        "study_code": participant.study_code,
        "visit_code": "BL",
        "analyte": "il6",
        "region": "",
        "value": "3.2",
        "unit": "pg/mL",
        "matrix": "serum",
        "collected_at": (timezone.localdate() - dt.timedelta(days=1)).isoformat() + " 08:30",
        "processed_at": "",
        "assay": "ELISA",
        "kit": "HS kit",
        "lot": "A1",
        "lloq": "0.5",
        "uloq": "200",
        "cv_percent": "7",
        "provenance": "lab report 17",
    }
    row.update(overrides)
    return row


def _csv(rows):
    header = list(services.IMPORT_COLUMNS)
    lines = [",".join(header)] + [",".join(r[h] for h in header) for r in rows]
    return "\n".join(lines) + "\n"


def test_record_by_hand_links_visit_and_flags(site_a, coordinator_a, lab_a):
    participant, visits = participant_with_visits(coordinator_a, site_a)
    measurement = services.measurement_record(
        user=lab_a,
        participant=participant,
        visit=visits["BL"],
        data={
            "analyte": "tnfa",
            "value": "250",
            "unit": "pg/mL",
            "matrix": "plasma",
            "collected_at": timezone.now() - dt.timedelta(hours=2),
            "assay": "ELISA",
            "uloq": "200",
            "lloq": "0.7",
        },
    )
    assert measurement.limit_flag == "above_uloq"
    assert measurement.visit == visits["BL"]
    assert measurement.history.first().history_user == lab_a
    with pytest.raises(NotPermitted):
        services.measurement_record(user=coordinator_a, participant=participant, data={})


def test_import_is_all_or_nothing_with_every_bad_row(
    site_a, site_b, coordinator_a, coordinator_b, lab_a
):
    participant, _visits = participant_with_visits(coordinator_a, site_a)
    other, _ = participant_with_visits(coordinator_b, site_b)
    good = _row(participant)
    rows = [
        good,
        _row(participant, unit="mmol/L"),
        _row(other),  # another site's child: invisible to this lab
        _row(participant, visit_code="M99", value="abc"),
        _row(participant, collected_at="yesterday"),
    ]
    with pytest.raises(services.ImportRejected) as caught:
        services.measurements_import(user=lab_a, text=_csv(rows))
    found = {(line, column) for line, column, _m in caught.value.problems}
    assert {
        (3, "unit"),
        (4, "study_code"),
        (5, "visit_code"),
        (5, "value"),
        (6, "collected_at"),
    } <= found
    assert not Measurement.objects.exists()
    created = services.measurements_import(
        user=lab_a, text=_csv([good, _row(participant, analyte="tnfa")])
    )
    assert len(created) == 2
    assert all(m.visit and m.visit.code == "BL" for m in created)
    assert {m.source for m in created} == {"import"}


def test_a_value_dated_before_birth_opens_a_data_quality_query(site_a, coordinator_a, lab_a):
    # Recorded by hand or imported, a stored value reaches the instruments app's quality rules
    # (through biomarkers.signals), which open one query on it.
    participant, _visits = participant_with_visits(coordinator_a, site_a)
    long_ago = participant.screened_on.replace(year=participant.screened_on.year - 30)
    by_hand = services.measurement_record(
        user=lab_a,
        participant=participant,
        data={
            "analyte": "il6",
            "value": "3.2",
            "unit": "pg/mL",
            "matrix": "serum",
            "collected_at": dt.datetime.combine(long_ago, dt.time(8, 30), tzinfo=dt.UTC),
            "assay": "ELISA",
        },
    )
    imported = services.measurements_import(
        user=lab_a, text=_csv([_row(participant, collected_at=f"{long_ago} 08:30")])
    )
    for measurement in [by_hand, *imported]:
        opened = Query.objects.filter(measurement=measurement)
        assert [q.rule for q in opened] == [QueryRule.IMPOSSIBLE_DATE]


def test_import_rejects_wrong_columns(lab_a):
    with pytest.raises(services.ImportRejected) as caught:
        services.measurements_import(user=lab_a, text="study_code,analyte,colour\n")
    columns = {column for _line, column, _m in caught.value.problems}
    assert {"value", "unit", "collected_at", "colour"} <= columns


def test_a_rejected_import_speaks_the_readers_language(lab_a):
    with translation.override("ru"), pytest.raises(services.ImportRejected) as caught:
        services.measurements_import(user=lab_a, text="study_code,analyte,colour\n")
    assert caught.value.message == "Файл отклонён; ничего не импортировано."
