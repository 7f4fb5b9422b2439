"""FHIR bundle parses back; NDA structures; CSV formula injection; the command line."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command
from fhir.resources.R4B.bundle import Bundle

from neuroregen.interop import fhir, nda
from neuroregen.interop.csvsafe import neutralise, unneutralise, write_csv
from neuroregen.interop.dataset import ExportOptions, collect
from tests.interop.builders import PROTOCOL
from tests.interop.test_nda_submission import give_guids


@pytest.mark.django_db
def test_fhir_bundle_validates_and_parses_back(world):
    text = fhir.export_bundle_json(collect(user=world.admin, protocol=PROTOCOL))
    bundle = Bundle.model_validate_json(text)
    kinds = [e.resource.__resource_type__ for e in bundle.entry]
    assert kinds.count("Patient") == 3
    assert "QuestionnaireResponse" in kinds
    assert "Observation" in kinds
    patient = next(e.resource for e in bundle.entry if e.resource.__resource_type__ == "Patient")
    assert patient.name is None
    assert patient.birthDate is None
    labs = [
        e.resource
        for e in bundle.entry
        if e.resource.__resource_type__ == "Observation"
        and e.resource.identifier[0].value.startswith("lab-")
    ]
    assert {o.valueQuantity.code for o in labs} == {"pg/mL"}
    assert {o.valueQuantity.system for o in labs} == {"http://unitsofmeasure.org"}
    assert "Child-" not in text


@pytest.mark.django_db
def test_fhir_identity_only_when_administrator_asks(world):
    bundle = fhir.export_bundle(
        collect(user=world.admin, protocol=PROTOCOL, options=ExportOptions(include_identity=True))
    )
    patient = next(e.resource for e in bundle.entry if e.resource.__resource_type__ == "Patient")
    assert patient.name[0].family.startswith("Child-")


@pytest.mark.django_db
def test_nda_structures_have_two_header_rows(world):
    give_guids(world)
    dataset = collect(user=world.admin, protocol=PROTOCOL)
    rows = list(csv.reader(io.StringIO(nda.subject_rows(dataset))))
    assert rows[0] == ["ndar_subject", "01"]
    assert rows[1][:5] == ["subjectkey", "src_subject_id", "interview_date", "interview_age", "sex"]
    assert len(rows) == 2 + 3
    assert all(int(r[3]) > 24 for r in rows[2:])
    atec = list(csv.reader(io.StringIO(nda.atec_rows(dataset))))
    assert atec[0] == ["atec", "01"]
    assert len(atec) == 2 + 3


def test_formula_injection_is_neutralised_everywhere():
    for hostile in ("=1+1", "+cmd", "-2+3", "@SUM(A1)", "\t=x", '=HYPERLINK("http://x")'):
        assert neutralise(hostile).startswith("'")
        assert unneutralise(neutralise(hostile)) == hostile
    for plain in ("-3", "+4.5", "1e-3", "ok", ""):
        assert neutralise(plain) == plain
    text = write_csv(["=h"], [["=1+1", "-3"]])
    assert text.splitlines() == ["'=h", "'=1+1,-3"]


@pytest.mark.django_db
def test_command_line_exports_every_format_and_fails_loudly(world, tmp_path):
    for fmt in ("redcap", "tidy", "odm", "sdtm", "fhir", "nda"):
        out = tmp_path / fmt
        call_command(
            "export",
            fmt,
            "--protocol",
            PROTOCOL,
            "--out",
            str(out),
            "--user",
            world.admin.username,
            *(["--allow-missing-guid"] if fmt == "nda" else []),
        )
        assert any(out.iterdir()), fmt
    json.loads((tmp_path / "fhir" / "fhir_bundle.json").read_text())
    with pytest.raises(CommandError, match="Unknown protocol"):
        call_command(
            "export",
            "tidy",
            "--protocol",
            "NOPE",
            "--out",
            str(tmp_path),
            "--user",
            world.admin.username,
        )
    with pytest.raises(CommandError, match="permission"):
        call_command(
            "export",
            "tidy",
            "--protocol",
            PROTOCOL,
            "--out",
            str(tmp_path),
            "--user",
            world.coordinator_a.username,
        )


@pytest.mark.django_db
def test_command_line_import_reports_problems_and_is_idempotent(world, tmp_path):
    call_command(
        "export",
        "redcap",
        "--protocol",
        PROTOCOL,
        "--out",
        str(tmp_path),
        "--user",
        world.admin.username,
    )
    good = tmp_path / "redcap_records.csv"
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "import",
        "redcap",
        str(good),
        "--protocol",
        PROTOCOL,
        "--user",
        world.admin.username,
        stdout=out,
        stderr=err,
    )
    # nine forms and three not done
    assert "0 form(s) created, 0 updated, 12 unchanged" in out.getvalue()
    assert "100%" in err.getvalue()
    bad = tmp_path / "bad.csv"
    bad.write_text(good.read_text().replace(",bl_arm_", ",zz_arm_"), encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command(
            "import",
            "redcap",
            str(bad),
            "--protocol",
            PROTOCOL,
            "--user",
            world.admin.username,
            stderr=err,
        )
    assert "redcap_event_name" in err.getvalue()
    # Windows-1251 files from Excel read as well as UTF-8 with a BOM
    cp = tmp_path / "cp1251.csv"
    cp.write_bytes(good.read_text().encode("cp1251"))
    call_command(
        "import",
        "redcap",
        str(cp),
        "--protocol",
        PROTOCOL,
        "--user",
        world.admin.username,
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )


@pytest.mark.django_db
def test_command_line_identity_needs_a_reason_and_every_export_is_recorded(world, tmp_path):
    from neuroregen.interop.models import ExportRecord

    args = ["export", "fhir", "--protocol", PROTOCOL, "--out", str(tmp_path)]
    with pytest.raises(CommandError, match="reason"):
        call_command(*args, "--user", world.admin.username, "--include-identity")
    assert not ExportRecord.objects.exists()
    with pytest.raises(CommandError, match="administrator"):
        call_command(
            *args, "--user", world.statistician.username, "--include-identity", "--reason", "x"
        )
    call_command(
        *args,
        "--user",
        world.admin.username,
        "--include-identity",
        "--reason",
        "Registry transfer approved by the ethics committee",
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    assert "Child-" in (tmp_path / "fhir_bundle.json").read_text()
    record = ExportRecord.objects.get()
    assert (record.channel, record.exported_by, record.include_identity) == (
        "command",
        world.admin,
        True,
    )
    assert record.reason == "Registry transfer approved by the ethics committee"
    assert record.files == ["fhir_bundle.json"]
