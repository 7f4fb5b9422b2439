"""REDCap record ids: any name for the record-id field, a map to study codes, one-form exports
and a classic project's records (REDCapR's public survey project: ``participant_id`` first)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from neuroregen.instruments import services as instrument_services
from neuroregen.instruments.models import Response
from neuroregen.interop import records, services
from neuroregen.interop.dataset import collect
from neuroregen.interop.errors import ImportRejected
from neuroregen.interop.record_links import RecordLinks, read_map
from tests.interop.builders import PROTOCOL, bare_world, fill_forms
from tests.interop.snapshot import not_done_snapshot, responses_snapshot

CORPUS = Path(__file__).parent.parent / "data" / "redcap_corpus"


def _renamed_first_column(text: str, name: str) -> str:
    head, _sep, rest = text.partition("\r\n")
    return name + head[head.index(",") :] + "\r\n" + rest


def _first_cells(text: str) -> list[str]:
    return [row[0] for row in csv.reader(io.StringIO(text))]


@pytest.mark.django_db
@pytest.mark.parametrize("longitudinal", [True, False])
def test_record_id_field_may_have_any_name(
    site_a, site_b, coordinator_a, coordinator_b, longitudinal
):
    world = bare_world(site_a, site_b, coordinator_a, coordinator_b)
    empty = transaction.savepoint()
    fill_forms(world)
    exported = records.export_records(
        collect(user=world.admin, protocol=PROTOCOL), longitudinal=longitudinal
    )
    text = _renamed_first_column(exported, "study_id")
    before, not_done = responses_snapshot(), not_done_snapshot()
    transaction.savepoint_rollback(empty)
    result = services.redcap_import(user=world.admin, protocol=PROTOCOL, text=text)
    assert result.created == len(before) + len(not_done)
    assert (responses_snapshot(), not_done_snapshot()) == (before, not_done)


@pytest.mark.django_db
def test_problems_name_the_files_own_record_id_column(world):
    text = records.export_records(collect(user=world.admin, protocol=PROTOCOL))
    text = _renamed_first_column(text, "study_id")
    header = text.splitlines()[0]
    text += "P-NOBODY-00,bl_arm_1" + "," * (header.count(",") - 1) + "\r\n"
    with pytest.raises(ImportRejected) as caught:
        services.redcap_import(user=world.admin, protocol=PROTOCOL, text=text)
    assert [(p.column, p.message) for p in caught.value.problems] == [
        ("study_id", "no participant 'P-NOBODY-00'")
    ]


def test_a_file_starting_with_a_redcap_column_has_no_record_id():
    rows, _header, problems = records.read_records("redcap_event_name,x\r\nbl_arm_1,1\r\n")
    assert rows == []
    assert "record-id field" in problems[0].message


@pytest.mark.django_db
def test_export_of_one_instrument_starts_with_the_record_id_and_re_imports(
    site_a, site_b, coordinator_a, coordinator_b
):
    world = bare_world(site_a, site_b, coordinator_a, coordinator_b)
    empty = transaction.savepoint()
    fill_forms(world)
    dataset = collect(user=world.admin, protocol=PROTOCOL)
    text = records.export_records(dataset, instruments={"cgi_s"}, record_id="study_id")
    header = text.splitlines()[0].split(",")
    assert header == ["study_id", "redcap_event_name", "cgi_s", "cgi_s_complete"]
    cgi = {k: v for k, v in responses_snapshot().items() if k[2] == "cgi_s"}
    transaction.savepoint_rollback(empty)
    result = services.redcap_import(user=world.admin, protocol=PROTOCOL, text=text)
    assert result.created == len(cgi) == 3
    assert responses_snapshot() == cgi


def _mapped(world, records_to_children: dict[str, int]) -> str:
    lines = ["participant_id,study_code"]
    for record, index in records_to_children.items():
        lines.append(f"{record},{world.participants[index].study_code}")
    return "\r\n".join(lines) + "\r\n"


@pytest.fixture
def survey(site_a, site_b, coordinator_a, coordinator_b):
    """REDCapR's survey project: its dictionary, three children, the screening survey started
    at each one's baseline visit (it is not in the schedule)."""
    instrument_services.dictionary_import(
        user=None, text=(CORPUS / "redcapr_survey.csv").read_text(encoding="utf-8")
    )
    world = bare_world(site_a, site_b, coordinator_a, coordinator_b)
    for index, visits in enumerate(world.visits):
        user = coordinator_b if index == 2 else coordinator_a
        instrument_services.response_start(
            user=user, visit=visits["BL"], instrument="prescreening_survey"
        )
    return world


@pytest.mark.django_db
def test_real_classic_records_with_participant_id_import_through_a_map(survey):
    text = (CORPUS / "records" / "redcapr_survey_records.csv").read_text(encoding="utf-8")
    mapping, problems = read_map(_mapped(survey, {"1": 0, "2": 1}))
    assert problems == []
    links = RecordLinks(mapping=mapping)
    result = services.redcap_import(user=survey.admin, protocol=PROTOCOL, text=text, links=links)
    assert (result.created, result.updated) == (0, 2)  # the started forms, filled
    first = Response.objects.get(
        participant=survey.participants[0], instrument__code="prescreening_survey"
    )
    assert first.answers["dob"] == "2018-03-06"
    assert first.answers["email"] == "aaa@bbb.com"
    assert first.answers["consent"] == ["1"]
    assert first.status == "verified"  # REDCap's 2, Complete
    second = Response.objects.get(
        participant=survey.participants[1], instrument__code="prescreening_survey"
    )
    assert second.answers["has_diabetes"] == "0"
    assert "consent" not in second.answers
    again = services.redcap_import(user=survey.admin, protocol=PROTOCOL, text=text, links=links)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    # exported back under the project's own record-id field, which is also the form's first
    back = records.export_records(
        collect(user=survey.admin, protocol=PROTOCOL),
        longitudinal=False,
        instruments={"prescreening_survey"},
        record_id="participant_id",
    )
    header = back.splitlines()[0].split(",")
    assert header[:4] == [
        "participant_id",
        "redcap_repeat_instrument",
        "redcap_repeat_instance",
        "dob",
    ]
    assert header.count("participant_id") == 1


@pytest.mark.django_db
def test_map_problems_are_all_reported_and_nothing_is_written(survey):
    text = (CORPUS / "records" / "redcapr_survey_records.csv").read_text(encoding="utf-8")
    mapping, problems = read_map(
        "participant_id,study_code\r\n1,P-NOBODY-00\r\n3,"
        + survey.participants[2].study_code
        + "\r\n3,"
        + survey.participants[1].study_code
        + "\r\n"
    )
    assert [p.where for p in problems] == ["map line 4"]  # record 3 mapped twice
    links = RecordLinks(mapping=mapping, map_problems=tuple(problems))
    before = responses_snapshot(exclude_not_done=False)
    with pytest.raises(ImportRejected) as caught:
        services.redcap_import(user=survey.admin, protocol=PROTOCOL, text=text, links=links)
    messages = [str(p) for p in caught.value.problems]
    assert any("record '1': no participant 'P-NOBODY-00'" in m for m in messages)
    assert any("line 3" in m and "'2' is neither in the map" in m for m in messages)
    assert any("mapped twice" in m for m in messages)
    assert responses_snapshot(exclude_not_done=False) == before


@pytest.mark.django_db
def test_a_form_several_visits_expect_is_not_placed_from_a_classic_row(world):
    text = records.export_records(collect(user=world.admin, protocol=PROTOCOL), longitudinal=False)
    rows = list(csv.DictReader(io.StringIO(text)))
    header = list(rows[0])
    first = world.participants[0].study_code
    atec = next(r for r in rows if r["record_id"] == first and r["redcap_repeat_instrument"])
    base = {**atec, "redcap_repeat_instrument": "", "redcap_repeat_instance": ""}
    out = io.StringIO()
    writer = csv.DictWriter(out, header)
    writer.writeheader()
    writer.writerow(base)
    with pytest.raises(ImportRejected) as caught:
        services.redcap_import(user=world.admin, protocol=PROTOCOL, text=out.getvalue())
    problem = caught.value.problems[0]
    assert problem.column == f"{atec['redcap_repeat_instrument']}_complete"
    assert "several visits" in problem.message


@pytest.mark.django_db
def test_import_command_takes_a_map(survey, tmp_path):
    data = tmp_path / "survey.csv"
    data.write_bytes((CORPUS / "records" / "redcapr_survey_records.csv").read_bytes())
    mapping = tmp_path / "map.csv"
    mapping.write_text(_mapped(survey, {"1": 0, "2": 1}), encoding="utf-8")
    out = io.StringIO()
    options = {"protocol": PROTOCOL, "user": survey.admin.username, "map": mapping}
    call_command("import", "redcap", str(data), stdout=out, **options)
    assert "0 form(s) created, 2 updated, 0 unchanged" in out.getvalue()
    with pytest.raises(CommandError, match="--create-participants needs --site"):
        call_command("import", "redcap", str(data), create_participants=True, stdout=out, **options)
