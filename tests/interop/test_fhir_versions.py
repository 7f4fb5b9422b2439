"""FHIR: urn:uuid fullUrls that every reference points at, stable across exports; R4, R4B and R5
bundles each validated by fhir.resources, R5 with its renamed and restructured elements."""

from __future__ import annotations

import io
import json
import uuid

import pytest
from django.core.management import call_command
from django.urls import reverse
from fhir.resources.bundle import Bundle as BundleR5
from fhir.resources.R4B.bundle import Bundle as BundleR4B

from neuroregen.interop import fhir
from neuroregen.interop.dataset import ExportOptions, collect
from tests.interop.builders import PROTOCOL as FORMS_PROTOCOL
from tests.interop.test_sdtm_ex_ae import PROTOCOL, dosed  # noqa: F401 - the fixture
from tests.security.battery import client_for

MODELS = {"r4": BundleR4B, "r4b": BundleR4B, "r5": BundleR5}


def _references(node) -> list[str]:
    if isinstance(node, list):
        return [ref for item in node for ref in _references(item)]
    if isinstance(node, dict):
        found = [node["reference"]] if isinstance(node.get("reference"), str) else []
        return found + [ref for value in node.values() for ref in _references(value)]
    return []


def _export(dataset_user, version: str, protocol: str = PROTOCOL) -> str:
    options = ExportOptions(fhir_version=version)
    return fhir.export_bundle_json(collect(user=dataset_user, protocol=protocol, options=options))


def _by_key(data: dict) -> dict[str, dict]:
    """Resources by ``Type/code`` (their own code, kept in ``identifier``)."""
    found = {}
    for entry in data["entry"]:
        resource = entry["resource"]
        identifier = resource["identifier"]
        identifier = identifier[0] if isinstance(identifier, list) else identifier
        found[f"{resource['resourceType']}/{identifier['value']}"] = {
            **resource,
            "_url": entry["fullUrl"],
        }
    return found


@pytest.mark.django_db
@pytest.mark.parametrize("version", ["r4", "r4b", "r5"])
def test_every_version_validates_with_uuid_full_urls_and_resolving_references(dosed, version):  # noqa: F811
    text = _export(dosed["admin"], version)
    MODELS[version].model_validate_json(text)  # every resource valid in that version
    data = json.loads(text)
    urls = [e["fullUrl"] for e in data["entry"]]
    assert len(set(urls)) == len(urls)
    for entry in data["entry"]:
        assert entry["fullUrl"] == f"urn:uuid:{entry['resource']['id']}"
        assert uuid.UUID(entry["resource"]["id"]).version == 5
    references = _references(data["entry"])
    assert len(references) >= 6  # subjects, lot, container, procedure
    assert set(references) <= set(urls)


@pytest.mark.django_db
def test_forms_and_observations_reference_full_urls_too(world):
    for version in ("r4", "r5"):
        text = _export(world.admin, version, protocol=FORMS_PROTOCOL)
        MODELS[version].model_validate_json(text)
        data = json.loads(text)
        kinds = {e["resource"]["resourceType"] for e in data["entry"]}
        assert {"Patient", "QuestionnaireResponse", "Observation"} <= kinds
        assert set(_references(data["entry"])) <= {e["fullUrl"] for e in data["entry"]}


@pytest.mark.django_db
def test_re_export_gives_identical_ids(dosed):  # noqa: F811
    first = _export(dosed["admin"], "r4")
    assert _export(dosed["admin"], "r4") == first
    patient = _by_key(json.loads(first))[f"Patient/{dosed['participant'].study_code}"]
    assert patient["id"] == fhir.resource_uuid("Patient", dosed["participant"].study_code)


@pytest.mark.django_db
def test_r5_renamed_and_restructured_elements(dosed):  # noqa: F811
    a = dosed["administration"]
    data = json.loads(_export(dosed["admin"], "r5"))
    by_key = _by_key(data)
    patient = by_key[f"Patient/{dosed['participant'].study_code}"]["_url"]
    container = by_key[f"BiologicallyDerivedProduct/{a.container.code}"]
    assert container["productStatus"]["code"] == "unavailable"
    assert container["productCategory"]["code"] == "cells"
    assert "status" not in container
    procedure = by_key[f"Procedure/{a.code}"]
    assert "performedPeriod" not in procedure
    assert "occurrencePeriod" in procedure
    assert procedure["used"] == [{"reference": {"reference": container["_url"]}}]
    mild = by_key[f"AdverseEvent/{dosed['mild'].code}"]
    assert mild["code"]["text"] == "Headache after lumbar puncture"
    assert mild["subject"]["reference"] == patient
    assert mild["status"] == "completed"  # resolved
    assert mild["outcome"][0]["coding"][0]["code"] == "resolved"
    severity = [x for x in mild["extension"] if x["url"].endswith("AdverseEvent.severity")]
    assert severity[0]["valueCodeableConcept"]["coding"][0]["code"] == "moderate"
    # one causality per suspect: the product (its container) and the procedure
    suspects = {
        s["instanceReference"]["reference"]: s["causality"]["entityRelatedness"]["coding"][0][
            "code"
        ]
        for s in mild["suspectEntity"]
    }
    assert suspects == {container["_url"]: "unlikely", procedure["_url"]: "probable"}


@pytest.mark.django_db
def test_command_and_page_choose_the_version(dosed, tmp_path):  # noqa: F811
    call_command(
        "export",
        "fhir",
        "--protocol",
        PROTOCOL,
        "--out",
        str(tmp_path),
        "--user",
        dosed["admin"].username,
        "--fhir-version",
        "r5",
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    r5 = (tmp_path / "fhir_bundle.json").read_text()
    BundleR5.model_validate_json(r5)
    assert '"occurrencePeriod"' in r5
    response = client_for(dosed["admin"]).post(
        reverse("interop:export"),
        {"protocol": PROTOCOL, "export_format": "fhir", "fhir_version": "r5"},
    )
    assert response.status_code == 200
    assert b'"occurrencePeriod"' in response.content
    default = client_for(dosed["admin"]).post(
        reverse("interop:export"), {"protocol": PROTOCOL, "export_format": "fhir"}
    )
    assert b'"performedPeriod"' in default.content  # R4 unless asked
