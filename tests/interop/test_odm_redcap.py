"""REDCap project XML (ODM 1.3.1 with ``redcap:`` extensions) imports: real public exports
(tests/data/redcap_corpus/odm, sources in its README) against definitions made from their own
metadata; problems name the element's line and path."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from lxml import etree

from neuroregen.core.roles import Role
from neuroregen.instruments.models import Response
from neuroregen.interop import odm_read, services
from neuroregen.interop.errors import ImportRejected
from tests.helpers import make_user
from tests.interop.redcap_odm import CORPUS, NS, RC, redcap_project, visits_of

WITH_DATA = [
    "redcapr_checkboxes_1.xml",  # classic, checkboxes, boolean code lists, empty group name
    "redcapr_longitudinal_single_arm.xml",  # events
    "redcapr_repeating_instruments_sparse.xml",  # a repeating instrument
]
STATUS = {"2": "verified", "1": "complete", "0": "in_progress", "": "in_progress"}


def test_the_odm_corpus_is_documented():
    readme = (CORPUS / "README.md").read_text()
    files = sorted(CORPUS.glob("*.xml"))
    assert len(files) >= 4
    for path in files:
        assert f"`{path.name}`" in readme
        assert path.stat().st_size < 300_000


def expected_forms(path: Path, children: dict) -> dict[tuple[str, str, str], dict[str, str]]:
    """What the file says, read plainly: (record, visit, form) → item values of each form that
    holds data (the record id left out)."""
    root = etree.fromstring(path.read_bytes())
    record_field = root.find(f"{NS}Study/{NS}MetaDataVersion").get(f"{RC}RecordIdField")
    found: dict[tuple[str, str, str], dict[str, str]] = {}
    for subject in root.iter(f"{NS}SubjectData"):
        key = subject.get("SubjectKey")
        visits = visits_of(children[key])
        for form in subject.iter(f"{NS}FormData"):
            event = form.getparent()
            if event.tag == f"{NS}StudyEventData":
                visit = event.get(f"{RC}UniqueEventName").rsplit("_arm_", 1)[0]
            else:
                visit = visits[int(form.get("FormRepeatKey")) - 1].code
            code = form.get("FormOID").removeprefix("Form.")
            values = {
                i.get("ItemOID"): i.get("Value")
                for i in form.iter(f"{NS}ItemData")
                if i.get("ItemOID") != record_field
            }
            data = {k: v for k, v in values.items() if not k.endswith("_complete")}
            if any(v not in ("", "0") or "___" not in k for k, v in data.items()):
                found[(key, visit, code)] = values
    return found


@pytest.fixture
def admin(db):
    return make_user(Role.ADMINISTRATOR, None)


@pytest.mark.django_db
@pytest.mark.parametrize("name", WITH_DATA)
def test_a_real_redcap_project_xml_imports_every_form(name, site_a, coordinator_a, admin):
    path = CORPUS / name
    protocol, children = redcap_project(path, coordinator=coordinator_a, site=site_a)
    expected = expected_forms(path, children)
    assert expected  # the file holds clinical data
    try:
        result = services.odm_import(
            user=admin, protocol=protocol, data=path.read_bytes(), source_name=name
        )
    except ImportRejected as exc:  # the problems themselves, not just "rejected"
        pytest.fail("\n".join(map(str, exc.problems)))
    assert result.created == len(expected)
    stored = {
        (r.participant.study_code, r.visit.code, r.instrument.code): r
        for r in Response.objects.select_related("participant", "visit", "instrument")
    }
    assert set(stored) == set(expected)
    for key, values in expected.items():
        response = stored[key]
        assert response.status == STATUS[values.get(f"{key[2]}_complete", "")]
        for item, value in values.items():
            if item.endswith("_complete"):
                continue
            if "___" in item:
                field, code = item.split("___")
                assert (code in response.answers.get(field, [])) == (value == "1"), item
            else:
                assert str(response.answers[item]) == value, item
    again = services.odm_import(user=admin, protocol=protocol, data=path.read_bytes())
    assert again.changed == 0
    assert again.unchanged == len(expected)


@pytest.mark.django_db
def test_a_file_without_clinical_data_is_an_error(site_a, coordinator_a, admin, tmp_path):
    path = CORPUS / "redcapr_single_column_no_data.xml"
    protocol, _children = redcap_project(path, coordinator=coordinator_a, site=site_a)
    with pytest.raises(ImportRejected) as caught:
        services.odm_import(
            user=admin, protocol=protocol, data=path.read_bytes(), source_name=path.name
        )
    assert [p.message for p in caught.value.problems] == [f"no clinical data in {path.name}"]
    # no ClinicalData element at all
    document = path.read_bytes()
    start, end = document.index(b"<ClinicalData"), document.index(b"</ClinicalData>")
    bare = tmp_path / "bare.xml"
    bare.write_bytes(document[:start] + document[end + len(b"</ClinicalData>") :])
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import", "odm", str(bare), "--protocol", protocol, "--user", admin.username)
    assert not Response.objects.exists()


def line_of(document: bytes, text: bytes) -> int:
    return document[: document.index(text)].count(b"\n") + 1


@pytest.mark.django_db
def test_a_value_problem_names_the_item_line_and_path(site_a, coordinator_a, admin):
    path = CORPUS / "redcapr_longitudinal_single_arm.xml"
    protocol, _children = redcap_project(path, coordinator=coordinator_a, site=site_a)
    document = path.read_bytes()
    bad = b'<ItemData ItemOID="interview_date" Value="2001-02-31"/>'
    document = document.replace(b'<ItemData ItemOID="interview_date" Value="2001-02-02"/>', bad)
    with pytest.raises(ImportRejected) as caught:
        services.odm_import(user=admin, protocol=protocol, data=document)
    [problem] = caught.value.problems
    assert problem.where == (
        f"line {line_of(document, bad)}, /ODM/ClinicalData/SubjectData[@SubjectKey='2']"
        "/StudyEventData[@StudyEventOID='Event.dischage_arm_1']"
        "/FormData[@FormOID='Form.collection']"
        "/ItemGroupData[@ItemGroupOID='collection.record_id']"
        "/ItemData[@ItemOID='interview_date']"
    )
    assert problem.column == "interview_date"


@pytest.mark.django_db
def test_schema_problems_name_the_line_and_path():
    path = CORPUS / "redcapr_checkboxes_1.xml"
    document = path.read_bytes()
    first = b'<ItemData ItemOID="check_two___c" Value="1"/>'
    broken = document.replace(first, b'<ItemData Value="1"/>', 1)
    with pytest.raises(ImportRejected) as caught:
        services.odm_import(user=make_user(Role.ADMINISTRATOR, None), protocol="X", data=broken)
    [problem] = caught.value.problems
    assert problem.where.startswith(
        f"line {line_of(document, first)}, /ODM/ClinicalData/SubjectData[@SubjectKey='1']"
        "/FormData[@FormOID='Form.form_2']/ItemGroupData[@ItemGroupOID='form_2.check_one___1']"
        "/ItemData"
    )
    assert "ItemOID" in problem.message


@pytest.mark.django_db
def test_a_form_repeated_within_an_event_is_reported_where_it_is(site_a, coordinator_a, admin):
    path = CORPUS / "redcapr_longitudinal_single_arm.xml"
    protocol, _children = redcap_project(path, coordinator=coordinator_a, site=site_a)
    document = path.read_bytes()
    head = b'<FormData FormOID="Form.collection" FormRepeatKey="'
    repeated = document.replace(head + b'1"', head + b'2"', 1)
    with pytest.raises(ImportRejected) as caught:
        services.odm_import(user=admin, protocol=protocol, data=repeated)
    [problem] = caught.value.problems
    assert problem.where.startswith(f"line {line_of(repeated, head + b'2')}, ")
    assert "[@FormRepeatKey='2']" in problem.where
    assert not Response.objects.exists()


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.xml")), ids=lambda p: p.stem)
def test_redcap_flavour_passes_the_schema_check(path):
    # redcap: elements and attributes, boolean code lists, empty group names, classic FormData
    assert odm_read.schema_problems(path.read_bytes()) == []


def test_other_schema_problems_of_a_redcap_file_are_still_found():
    document = (CORPUS / "redcapr_checkboxes_1.xml").read_bytes()
    broken = document.replace(
        b'<ItemGroupDef OID="form_2.check_one___1" Name=""', b"<ItemGroupDef", 1
    )
    [problem] = odm_read.schema_problems(broken)
    assert problem.where.startswith(f"line {line_of(broken, b'<ItemGroupDef Repeating')}, ")
    assert "/ODM/Study/MetaDataVersion/ItemGroupDef" in problem.where
    assert "OID" in problem.message


def test_a_file_that_is_not_well_formed_is_reported_at_its_line():
    document = (CORPUS / "redcapr_longitudinal_single_arm.xml").read_bytes()
    bad = b'<ItemData ItemOID="weight" Value="22">'
    broken = document.replace(b'<ItemData ItemOID="weight" Value="22"/>', bad)
    [problem] = odm_read.read_clinical_data(broken)[1]
    assert problem.where.startswith("line ")
    assert problem.where != "line 1, column 1"
    assert f"line {line_of(broken, bad)}" in str(problem)  # the unclosed element's line
