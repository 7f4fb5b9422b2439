"""``--create-participants``: REDCap records without a participant are registered in screening
from named identity columns, all or nothing, and never twice."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.management import call_command

from neuroregen.core.time import site_today
from neuroregen.interop import services
from neuroregen.interop.errors import ImportRejected
from neuroregen.interop.record_links import RecordLinks, parse_columns
from neuroregen.participants.models import Participant
from tests.instruments.builders import active_protocol
from tests.interop.builders import PROTOCOL

HEADER = [
    "study_id",
    "first_name",
    "last_name",
    "dob",
    "parent",
    "sex",
    "country",
    "dsm5_severity",
    "diagnostic_instrument",
    "cgi_s",
    "cgi_s_complete",
]
COLUMNS = parse_columns(
    ["given_name=first_name", "family_name=last_name", "date_of_birth=dob", "guardian_name=parent"]
)


@pytest.fixture(autouse=True)
def protocol(db):
    return active_protocol()


def _file(*rows: dict[str, str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, HEADER, restval="")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _child(record: str, name: str, **extra: str) -> dict[str, str]:
    birth = site_today("UTC") - dt.timedelta(days=365 * 6)
    return {
        "study_id": record,
        "first_name": name,
        "last_name": "Koval",
        "dob": birth.isoformat(),
        "parent": "Olena Koval",
        "sex": "F",
        "country": "UA",
        "dsm5_severity": "2",
        "diagnostic_instrument": "ados2",
        **extra,
    }


def _links(site) -> RecordLinks:
    return RecordLinks(create_at_site=site.code, columns=COLUMNS)


@pytest.mark.django_db
def test_unknown_records_are_registered_in_screening_once(site_a, coordinator_a):
    text = _file(_child("101", "Daryna"), _child("102", "Marko"))
    result = services.redcap_import(
        user=coordinator_a, protocol=PROTOCOL, text=text, links=_links(site_a)
    )
    assert [record for record, _code in result.registered] == ["101", "102"]
    created = Participant.objects.filter(site=site_a)
    assert sorted(p.identity.given_name for p in created) == ["Daryna", "Marko"]
    assert {p.status for p in created} == {"screening"}
    assert result.linked == dict(result.registered)
    again = services.redcap_import(
        user=coordinator_a, protocol=PROTOCOL, text=text, links=_links(site_a)
    )
    assert again.registered == []
    assert again.linked == result.linked  # found by name and date of birth
    assert Participant.objects.filter(site=site_a).count() == 2


@pytest.mark.django_db
def test_registration_lists_the_columns_it_lacks(site_a, coordinator_a):
    text = _file(_child("101", "Daryna"))
    with pytest.raises(ImportRejected) as caught:
        services.redcap_import(
            user=coordinator_a,
            protocol=PROTOCOL,
            text=text,
            links=RecordLinks(create_at_site=site_a.code),  # columns not named
        )
    problem, *others = caught.value.problems
    # the columns holding them under other names are not recognised either
    assert {p.column for p in others} == {"first_name", "last_name", "dob", "parent"}
    for name in ("given_name", "family_name", "date_of_birth", "guardian_name"):
        assert name in problem.message
    assert "sex" not in problem.message  # that column is there under its own name
    assert not Participant.objects.exists()


@pytest.mark.django_db
def test_every_bad_record_is_reported_and_nobody_is_registered(site_a, coordinator_a):
    future = (site_today("UTC") + dt.timedelta(days=3)).isoformat()
    text = _file(
        _child("101", "Daryna"),
        _child("102", "Marko", dob=future),
        _child("103", "Ivan", dob="12/03/2019"),
        _child("104", "", dsm5_severity="2"),
    )
    with pytest.raises(ImportRejected) as caught:
        services.redcap_import(
            user=coordinator_a, protocol=PROTOCOL, text=text, links=_links(site_a)
        )
    found = {(p.where, p.column) for p in caught.value.problems}
    assert found == {("line 3", "dob"), ("line 4", "dob"), ("line 5", "first_name")}
    assert not Participant.objects.exists()


@pytest.mark.django_db
def test_forms_of_a_child_just_registered_wait_for_enrolment(site_a, coordinator_a):
    text = _file(_child("101", "Daryna", cgi_s="3", cgi_s_complete="1"))
    with pytest.raises(ImportRejected) as caught:
        services.redcap_import(
            user=coordinator_a, protocol=PROTOCOL, text=text, links=_links(site_a)
        )
    (problem,) = caught.value.problems
    assert "no visits in NR-CELL-01 yet" in problem.message
    assert not Participant.objects.exists()


@pytest.mark.django_db
def test_registration_needs_the_right_to_register_at_the_site(site_a, site_b, coordinator_b):
    with pytest.raises(ImportRejected) as caught:
        services.redcap_import(
            user=coordinator_b,
            protocol=PROTOCOL,
            text=_file(_child("101", "Daryna")),
            links=_links(site_a),
        )
    assert "may not register participants at SITE-A" in caught.value.problems[0].message
    assert not Participant.objects.exists()


@pytest.mark.django_db
def test_import_command_registers_and_writes_the_map(site_a, coordinator_a, tmp_path):
    data = tmp_path / "demographics.csv"
    data.write_text(_file(_child("101", "Daryna")), encoding="utf-8")
    written = tmp_path / "map.csv"
    out = io.StringIO()
    call_command(
        "import",
        "redcap",
        str(data),
        protocol=PROTOCOL,
        user=coordinator_a.username,
        create_participants=True,
        site=site_a.code,
        participant_column=[
            "given_name=first_name",
            "family_name=last_name",
            "date_of_birth=dob",
            "guardian_name=parent",
        ],
        write_map=written,
        stdout=out,
    )
    code = Participant.objects.get().study_code
    assert f"record 101: registered in screening as {code}" in out.getvalue()
    assert list(csv.reader(io.StringIO(written.read_text()))) == [
        ["record_id", "study_code"],
        ["101", code],
    ]
