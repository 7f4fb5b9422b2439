"""CDISC ODM 1.3.2: valid against the official XSD, carries audit and signature, round-trips."""

from __future__ import annotations

import pytest
from defusedxml import ElementTree as SafeET
from django.db import transaction

from neuroregen.instruments.models import Response
from neuroregen.interop import odm, services
from neuroregen.interop.dataset import ExportOptions, collect
from neuroregen.interop.errors import ImportRejected
from tests.interop.builders import PROTOCOL, bare_world, fill_forms
from tests.interop.snapshot import responses_snapshot

Q = "{http://www.cdisc.org/ns/odm/v1.3}"


@pytest.mark.django_db
def test_export_is_valid_odm_with_audit_and_signature(world):
    document = odm.export_odm(collect(user=world.admin, protocol=PROTOCOL))
    assert odm.validate(document) == []
    root = SafeET.fromstring(document)
    assert root.get("ODMVersion") == "1.3.2"
    assert root.find(f"{Q}Study/{Q}MetaDataVersion/{Q}FormDef[@OID='F.atec']") is not None
    subject = root.find(
        f"{Q}ClinicalData/{Q}SubjectData[@SubjectKey='{world.participants[0].study_code}']"
    )
    signature = subject.find(f"{Q}Signature")
    assert signature is not None  # the investigator's signed assignment
    sig_oid = signature.find(f"{Q}SignatureRef").get("SignatureOID")
    assert root.find(f"{Q}AdminData/{Q}SignatureDef[@OID='{sig_oid}']/{Q}Meaning").text
    audit = subject.find(f".//{Q}FormData[@FormOID='F.atec']/{Q}AuditRecord")
    user_oid = audit.find(f"{Q}UserRef").get("UserOID")
    login = root.find(f"{Q}AdminData/{Q}User[@OID='{user_oid}']/{Q}LoginName").text
    assert login == world.coordinator_a.username
    assert audit.find(f"{Q}ReasonForChange").text == "first entry"
    assert audit.find(f"{Q}DateTimeStamp").text
    second = root.find(
        f"{Q}ClinicalData/{Q}SubjectData[@SubjectKey='{world.participants[1].study_code}']"
    )
    declined = second.find(f".//{Q}ItemData[@ItemOID='I.atec.atec_i_03']")
    assert declined.get("IsNull") == "Yes"
    assert declined.find(f".//{Q}FlagValue").text == "DECL"
    # pseudonymous: no identity anywhere
    assert b"Child-" not in document
    assert b"Test Guardian" not in document


@pytest.mark.django_db
def test_schema_catches_a_broken_document(world):
    document = odm.export_odm(collect(user=world.admin, protocol=PROTOCOL))
    broken = document.replace(b'ODMVersion="1.3.2"', b'ODMVersion="9.9"')
    assert odm.validate(broken)
    with pytest.raises(ImportRejected) as caught:
        services.odm_import(user=world.admin, protocol=PROTOCOL, data=broken)
    assert "ODMVersion" in str(caught.value.problems[0])
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    with pytest.raises(ImportRejected):
        services.odm_import(user=world.admin, protocol=PROTOCOL, data=bomb)


@pytest.mark.django_db
def test_round_trip_reimports_identically(site_a, site_b, coordinator_a, coordinator_b):
    world = bare_world(site_a, site_b, coordinator_a, coordinator_b)
    empty = transaction.savepoint()
    fill_forms(world)
    document = odm.export_odm(collect(user=world.admin, protocol=PROTOCOL))
    before = responses_snapshot()
    not_done = not_done_forms()
    assert len(not_done) == len(world.participants)  # each child's sleep questionnaire
    transaction.savepoint_rollback(empty)
    assert not Response.objects.exists()
    result = services.odm_import(user=world.admin, protocol=PROTOCOL, data=document)
    assert result.created == len(before) + len(not_done)
    assert responses_snapshot() == before
    assert not_done_forms() == not_done  # the same forms, each with its reason
    again = services.odm_import(user=world.admin, protocol=PROTOCOL, data=document)
    assert again.changed == 0
    assert again.unchanged == len(before) + len(not_done)


def not_done_forms() -> dict[tuple[str, str, str], str]:
    return {
        (r.participant.study_code, r.visit.code, r.instrument.code): r.not_done_reason
        for r in Response.objects.filter(status="not_done").select_related(
            "participant", "visit", "instrument"
        )
    }


@pytest.mark.django_db
def test_a_form_not_done_is_exported_with_its_reason(world):
    document = odm.export_odm(collect(user=world.admin, protocol=PROTOCOL))
    assert odm.validate(document) == []
    root = SafeET.fromstring(document)
    subject = root.find(
        f"{Q}ClinicalData/{Q}SubjectData[@SubjectKey='{world.participants[0].study_code}']"
    )
    form = subject.find(f"{Q}StudyEventData[@StudyEventOID='SE.BL']/{Q}FormData[@FormOID='F.cshq']")
    assert form is not None
    annotation = form.find(f"{Q}Annotation")
    assert annotation.find(f"{Q}Comment").text == "family ran out of time"
    flag = annotation.find(f"{Q}Flag/{Q}FlagValue")
    assert (flag.get("CodeListOID"), flag.text) == (odm.FORM_STATUS_LIST, "not_done")
    status = form.find(f".//{Q}ItemData[@ItemOID='I.cshq.cshq_complete']")
    assert status.get("IsNull") == "Yes"
    assert status.get("Value") is None
    assert root.find(f".//{Q}CodeList[@OID='{odm.FORM_STATUS_LIST}']") is not None


@pytest.mark.django_db
def test_shifted_dates_move_audit_stamps_consistently(world):
    plain = SafeET.fromstring(odm.export_odm(collect(user=world.admin, protocol=PROTOCOL)))
    shifted = SafeET.fromstring(
        odm.export_odm(
            collect(user=world.admin, protocol=PROTOCOL, options=ExportOptions(shift_dates=True))
        )
    )
    stamps = [e.text[:10] for e in plain.iter(f"{Q}DateTimeStamp")]
    moved = [e.text[:10] for e in shifted.iter(f"{Q}DateTimeStamp")]
    assert len(stamps) == len(moved)
    assert stamps != moved


@pytest.mark.django_db
def test_a_changed_reason_updates_the_form_not_done(world):
    document = odm.export_odm(collect(user=world.admin, protocol=PROTOCOL))
    changed = document.replace(
        b"<Comment>family ran out of time</Comment>", b"<Comment>child was unwell</Comment>", 1
    )
    assert changed != document
    result = services.odm_import(user=world.admin, protocol=PROTOCOL, data=changed)
    assert result.updated == 1
    assert result.created == 0
    reasons = sorted(not_done_forms().values())
    assert reasons.count("child was unwell") == 1
    assert len(reasons) == len(world.participants)


@pytest.mark.django_db
def test_a_file_cannot_mark_a_completed_form_not_done(world):
    document = odm.export_odm(collect(user=world.admin, protocol=PROTOCOL))
    group = b'<ItemGroupData ItemGroupOID="IG.cgi_s">'
    annotation = (
        b'<Annotation SeqNum="1"><Comment>no time</Comment><Flag>'
        b'<FlagValue CodeListOID="CL.NR.FORM_STATUS">not_done</FlagValue></Flag></Annotation>'
    )
    marked = document.replace(group, annotation + group, 1)
    before = responses_snapshot()
    with pytest.raises(ImportRejected) as caught:
        services.odm_import(user=world.admin, protocol=PROTOCOL, data=marked)
    [problem] = caught.value.problems
    at = marked.index(annotation)
    start = marked.rindex(b'SubjectKey="', 0, at) + len(b'SubjectKey="')
    key = marked[start : marked.index(b'"', start)].decode()
    assert f"/ODM/ClinicalData/SubjectData[@SubjectKey='{key}']" in problem.where
    assert problem.where.endswith(
        "/StudyEventData[@StudyEventOID='SE.BL']/FormData[@FormOID='F.cgi_s']"
    )
    assert problem.column == "Annotation"
    assert "completed" in problem.message
    assert responses_snapshot() == before


@pytest.mark.django_db
def test_export_keeps_its_default_namespace_after_a_schema_check_rewrote_the_map(
    world, monkeypatch
):
    """Seen in a full test run: after xmlschema (elementpath) had registered its own default
    namespace, the export came out as ``ns0:ODM`` and files edited by text no longer matched."""
    import xml.etree.ElementTree as ET

    monkeypatch.setattr(ET, "_namespace_map", dict(ET._namespace_map))
    ET.register_namespace("", "http://www.w3.org/2001/XMLSchema")
    document = odm.export_odm(collect(user=world.admin, protocol=PROTOCOL))
    assert b"ns0:" not in document
    assert b'<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3"' in document
    assert b"<Comment>family ran out of time</Comment>" in document
