"""``neuroregen export redcap --project``: a REDCap project XML that ``dictionary import`` reads
back into the same dictionaries (issue 19, "exports that re-import")."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from lxml import etree

from neuroregen.instruments.choices import MissingCode
from neuroregen.instruments.dictionaries import dictionary_import_report
from neuroregen.instruments.dictionary_diff import without_record_id_row
from neuroregen.instruments.models import Instrument
from neuroregen.instruments.redcap_project import read_project
from neuroregen.visits.models import VisitDefinition
from tests.interop.builders import PROTOCOL

ODM = "{http://www.cdisc.org/ns/odm/v1.3}"
R = "{https://projectredcap.org}"


def _export(world, tmp_path) -> bytes:
    call_command(
        "export",
        "redcap",
        "--project",
        "--protocol",
        PROTOCOL,
        "--out",
        str(tmp_path),
        "--user",
        world.admin.username,
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    return (tmp_path / "redcap_project.xml").read_bytes()


@pytest.mark.django_db
def test_project_export_has_redcap_metadata_events_missing_codes_and_data(world, tmp_path):
    document = _export(world, tmp_path)
    root = etree.fromstring(document)
    assert root.get("ODMVersion") == "1.3.1"
    mdv = root.find(f"{ODM}Study/{ODM}MetaDataVersion")
    assert mdv.get(f"{R}RecordIdField") == "record_id"
    first_item = mdv.find(f"{ODM}ItemDef")
    assert first_item.get(f"{R}Variable") == "record_id"  # REDCap's upload expects it first
    for item in mdv.iter(f"{ODM}ItemDef"):
        assert item.get(f"{R}FieldType")
        assert item.get(f"{R}Variable")
    forms = [f.get(f"{R}FormName") for f in mdv.iter(f"{ODM}FormDef")]
    assert "atec" in forms
    # each visit of the schedule is an event with its day and window
    events = {e.get(f"{R}EventName"): e for e in mdv.iter(f"{ODM}StudyEventDef")}
    for visit in VisitDefinition.objects.filter(protocol__code=PROTOCOL):
        if visit.name in events:
            event = events[visit.name]
            assert float(event.get(f"{R}DayOffset")) == visit.target_day
            assert float(event.get(f"{R}OffsetMin")) == visit.window_before
            assert float(event.get(f"{R}OffsetMax")) == visit.window_after
            assert event.get(f"{R}ArmNum")
            assert event.get(f"{R}UniqueEventName")
    assert events
    codes = root.findtext(f"{ODM}Study/{ODM}GlobalVariables/{R}MissingDataCodes")
    for code, _label in MissingCode.choices:
        assert f"{code}, " in codes
    # the clinical data use the metadata's names: REDCap's form, event and item OIDs
    subject = root.find(
        f"{ODM}ClinicalData/{ODM}SubjectData[@SubjectKey='{world.participants[1].study_code}']"
    )
    assert subject.get(f"{R}RecordIdField") == "record_id"
    event = subject.find(f"{ODM}StudyEventData")
    assert event.get("StudyEventOID") == f"Event.{event.get(f'{R}UniqueEventName')}"
    declined = subject.find(
        f".//{ODM}FormData[@FormOID='Form.atec']//{ODM}ItemData[@ItemOID='atec_i_03']"
    )
    assert declined.get("IsNull") == "Yes"
    group_oids = {g.get("OID") for g in mdv.iter(f"{ODM}ItemGroupDef")}
    for group in root.iter(f"{ODM}ItemGroupData"):
        assert group.get("ItemGroupOID") in group_oids
    item_oids = {i.get("OID") for i in mdv.iter(f"{ODM}ItemDef")}
    for item in root.iter(f"{ODM}ItemData"):
        assert item.get("ItemOID") in item_oids
    assert b"Child-" not in document  # pseudonymous


@pytest.mark.django_db
def test_project_export_reimports_as_the_same_dictionaries(world, tmp_path):
    document = _export(world, tmp_path)
    project, problems = read_project(document.decode())
    assert [str(p) for p in problems] == []
    by_form: dict[str, list] = {}
    for row in project.rows:
        by_form.setdefault(row.form_name, []).append(row)
    assert by_form
    for code, rows in by_form.items():
        stored = [f.as_row() for f in Instrument.objects.get(code=code).fields.all()]
        assert without_record_id_row(rows) == stored  # cell for cell
    report = dictionary_import_report(user=None, text=document.decode())
    assert sorted(report.unchanged) == sorted(by_form)
    assert report.created == []
    assert report.replaced == {}
