"""FHIR: lots and containers, administrations and adverse events, parsed back from the JSON."""

from __future__ import annotations

import datetime as dt

import pytest
from fhir.resources.R4B.bundle import Bundle

from neuroregen.interop import fhir
from neuroregen.interop.dataset import ExportOptions, collect, date_shift_days
from tests.interop.test_sdtm_ex_ae import PROTOCOL, dosed  # noqa: F401 - the fixture


def natural_key(resource) -> str:
    """``Type/code``: the resource's own code (study code, lot code …), not its UUID."""
    identifier = resource.identifier
    identifier = identifier[0] if isinstance(identifier, list) else identifier
    return f"{resource.__resource_type__}/{identifier.value}"


def _parsed(dataset) -> tuple[str, dict[str, dict]]:
    """The bundle's text and its resources by natural key; ``by_id["url:" + key]`` its fullUrl."""
    text = fhir.export_bundle_json(dataset)
    bundle = Bundle.model_validate_json(text)  # every resource validates against R4B
    by_id = {}
    for entry in bundle.entry:
        by_id[natural_key(entry.resource)] = entry.resource
        by_id["url:" + natural_key(entry.resource)] = entry.fullUrl
    return text, by_id


@pytest.mark.django_db
def test_products_procedure_and_events_reference_the_pseudonymous_patient(dosed):  # noqa: F811
    participant, a = dosed["participant"], dosed["administration"]
    text, by_id = _parsed(collect(user=dosed["admin"], protocol=PROTOCOL))
    patient = by_id[f"url:Patient/{participant.study_code}"]

    lot = by_id[f"BiologicallyDerivedProduct/{a.lot.code}"]
    assert [(i.system, i.value) for i in lot.identifier] == [("urn:neuroregen:lot", a.lot.code)]
    assert lot.productCategory == "cells"
    assert lot.collection.source.reference == patient  # autologous: the child is the source
    container = by_id[f"BiologicallyDerivedProduct/{a.container.code}"]
    assert [i.value for i in container.identifier] == [a.container.code]
    assert container.parent[0].reference == by_id[f"url:BiologicallyDerivedProduct/{a.lot.code}"]
    assert container.status == "unavailable"

    procedure = by_id[f"Procedure/{a.code}"]
    assert procedure.status == "completed"
    assert procedure.subject.reference == patient
    assert (
        procedure.usedReference[0].reference
        == (by_id[f"url:BiologicallyDerivedProduct/{a.container.code}"])
    )
    assert procedure.code.coding[0].code == "it"
    assert procedure.code.text == "Intrathecal administration of Autologous iPSC-derived neurons"
    assert procedure.performedPeriod.start == a.started_at
    assert procedure.performedPeriod.end == a.stopped_at
    dose = procedure.extension[0].valueQuantity
    assert (float(dose.value), dose.code) == (1_000_000.0, "{cells}/kg")

    mild = by_id[f"AdverseEvent/{dosed['mild'].code}"]
    assert mild.subject.reference == patient
    assert mild.actuality == "actual"
    assert mild.event.text == "Headache after lumbar puncture"
    assert mild.event.coding is None  # not coded: nothing invented
    assert mild.seriousness.coding[0].code == "non-serious"
    assert mild.severity.coding[0].code == "moderate"
    assert mild.outcome.coding[0].code == "resolved"
    assert mild.date == dosed["day_zero"] + dt.timedelta(days=1)
    suspect = mild.suspectEntity[0]
    assert suspect.instance.reference == by_id[f"url:Procedure/{a.code}"]
    assert [(c.productRelatedness, c.assessment.coding[0].code) for c in suspect.causality] == [
        ("product", "unlikely"),
        ("procedure", "probable"),
    ]

    serious = by_id[f"AdverseEvent/{dosed['serious'].code}"]
    assert serious.seriousness.coding[0].code == "serious"
    assert serious.severity.coding[0].code == "severe"
    assert serious.event.coding[0].code == "10037660"
    assert serious.event.coding[0].display == "Pyrexia"
    extensions = {(x.url, x.valueInteger or x.valueCode) for x in serious.extension}
    assert ("urn:neuroregen:ctcae-grade", 3) in extensions
    assert ("urn:neuroregen:seriousness-criterion", "hospitalisation") in extensions

    # Never a name: codes only.
    assert "Child-" not in text


@pytest.mark.django_db
def test_shifted_export_moves_procedure_and_event_dates_together(dosed):  # noqa: F811
    participant, a = dosed["participant"], dosed["administration"]
    shift = dt.timedelta(days=date_shift_days(participant.study_code))
    _text, by_id = _parsed(
        collect(user=dosed["admin"], protocol=PROTOCOL, options=ExportOptions(shift_dates=True))
    )
    procedure = by_id[f"Procedure/{a.code}"]
    # The instant moves by whole days of 24 hours (UTC), so durations are kept exactly.
    assert procedure.performedPeriod.start == a.started_at.astimezone(dt.UTC) + shift
    event = by_id[f"AdverseEvent/{dosed['serious'].code}"]
    assert event.date == dosed["day_zero"] + dt.timedelta(days=4) + shift
    assert event.date - procedure.performedPeriod.start.date() == dt.timedelta(days=4)


@pytest.mark.django_db
def test_every_resource_of_a_synthetic_site_is_tagged_synthetic(dosed, site_a):  # noqa: F811
    site_a.is_synthetic = True
    site_a.save()
    _text, by_id = _parsed(collect(user=dosed["admin"], protocol=PROTOCOL))
    assert {key.split("/")[0] for key in by_id if not key.startswith("url:")} >= {
        "Patient",
        "BiologicallyDerivedProduct",
        "Procedure",
        "AdverseEvent",
    }
    for key, resource in by_id.items():
        if key.startswith("url:"):
            continue
        assert [(t.code, t.display) for t in resource.meta.tag] == [
            ("synthetic", "Synthetic data")
        ], key
