"""HL7 FHIR bundle (R4, R4B or R5): Patient (pseudonymous), QuestionnaireResponse, Observation,
BiologicallyDerivedProduct, Procedure and AdverseEvent.

Each resource is built as plain JSON in R4 shape, turned into the chosen version and validated
through the ``fhir.resources`` models (:mod:`neuroregen.interop.fhir_versions`; a resource that
does not validate stops the export). Every entry's ``fullUrl`` is ``urn:uuid:<id>``: the id is
a UUID 5 of the resource type and its natural key (study code, lot code, administration code …)
so a re-export gives the same ids, and every reference inside the bundle points at a fullUrl
(a reference to anything outside the bundle stops the export). Patients are identified by study code
only; name and birth date are added only when an administrator included identity. Scores are
Observations with the UCUM unit ``{score}``; biomarker values carry their UCUM unit
(``pg/mL``) and the lab's lower limit of quantification as ``referenceRange.low``; a value
below the LLOQ is reported with ``valueQuantity.comparator`` ``<``.

Cell products: each lot and each administered dose container is a BiologicallyDerivedProduct
identified by its chain-of-identity code only (never a name; the container's ``parent`` is its
lot; an autologous lot's ``collection.source`` is the child's pseudonymous Patient). Each
administration is a Procedure on the Patient that used its container, with the route, the
period (shifted with the child's dates) and the dose per kg. Each adverse event is an
AdverseEvent on the Patient with the reported term (the coded MedDRA term when there is one),
seriousness, severity from the CTCAE grade (the grade itself in an extension), outcome, the
seriousness criteria, and as suspect the Procedure of the most recent administration with
the assessed relatedness to the product and to the procedure.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.utils import translation

from neuroregen.instruments.choices import ResponseStatus
from neuroregen.interop import fhir_versions
from neuroregen.interop.dataset import Dataset
from neuroregen.protocols.choices import ProductType, Route
from neuroregen.safety import choices as sc

SYSTEM = "urn:neuroregen"
# Fixed for ever: changing it would give every resource a new id.
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:neuroregen:fhir")
UCUM = "http://unitsofmeasure.org"
SYNTHETIC = {"system": f"{SYSTEM}:data", "code": "synthetic", "display": "Synthetic data"}
GENDER = {"M": "male", "F": "female", "U": "unknown"}
QR_STATUS = {
    ResponseStatus.COMPLETE: "completed",
    ResponseStatus.VERIFIED: "completed",
    ResponseStatus.IN_PROGRESS: "in-progress",
}
TERMINOLOGY = "http://terminology.hl7.org/CodeSystem"
MEDDRA = "http://terminology.hl7.org/CodeSystem/mdr"
PRODUCT_CATEGORY = {ProductType.MSC_EXOSOMES: "biologicalAgent", ProductType.PLACEBO: "fluid"}
AE_SEVERITY = {1: "mild", 2: "moderate"}  # grade 3 and above: severe
AE_OUTCOME = {
    sc.Outcome.RECOVERED: "resolved",
    sc.Outcome.RECOVERED_WITH_SEQUELAE: "resolvedWithSequelae",
    sc.Outcome.RECOVERING: "recovering",
    sc.Outcome.NOT_RECOVERED: "ongoing",
    sc.Outcome.FATAL: "fatal",
    sc.Outcome.UNKNOWN: "unknown",
}
DOSE_UNIT = {
    "cells_per_kg": "{cells}/kg",
    "particles_per_kg": "{particles}/kg",
    "ug_per_kg": "ug/kg",
    "ml_per_kg": "mL/kg",
}


def _date(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _patient(dataset: Dataset, participant: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": participant.study_code,
        "identifier": [{"system": f"{SYSTEM}:study-code", "value": participant.study_code}],
        "gender": GENDER.get(participant.sex, "unknown"),
        "meta": {
            "security": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
                    "code": "PSEUDED",
                    "display": "pseudonymized",
                }
            ]
        },
    }
    identity = dataset.identities.get(participant.pk)
    if identity is not None:
        resource["meta"] = {}
        resource["name"] = [{"family": identity.family_name, "given": [identity.given_name]}]
        resource["birthDate"] = _date(dataset.shift(participant, identity.birth_date))
    return resource


def _answer(field: Any, value: Any) -> list[dict[str, Any]]:
    values = value if isinstance(value, list) else [value]
    answers: list[dict[str, Any]] = []
    for item in values:
        if field is not None and field.field_type in (
            "radio",
            "dropdown",
            "checkbox",
            "yesno",
            "truefalse",
        ):
            labels = dict(field.choice_pairs())
            answers.append(
                {
                    "valueCoding": {
                        "system": f"{SYSTEM}:choices:{field.field_name}",
                        "code": str(item),
                        "display": labels.get(str(item), str(item)),
                    }
                }
            )
        elif field is not None and field.validation == "integer":
            answers.append({"valueInteger": int(item)})
        elif field is not None and field.field_type == "calc":
            answers.append({"valueDecimal": float(item)})
        else:
            answers.append({"valueString": str(item)})
    return answers


def _questionnaire_response(
    dataset: Dataset, participant: Any, visit: Any, response: Any
) -> dict[str, Any]:
    fields = {f.field_name: f for f in response.instrument.fields.all()}
    items = []
    for name in sorted(response.answers):
        value = response.answers[name]
        if value in ("", None, []):
            continue
        items.append({"linkId": name, "answer": _answer(fields.get(name), value)})
    for name, code in sorted(response.missing.items()):
        items.append(
            {
                "linkId": name,
                "answer": [{"valueCoding": {"system": f"{SYSTEM}:missing-data", "code": code}}],
            }
        )
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": f"qr-{response.pk}",
        "questionnaire": f"{SYSTEM}:instrument:{response.instrument.code}",
        "status": QR_STATUS.get(response.status, "in-progress"),
        "subject": {"reference": f"Patient/{participant.study_code}"},
        "identifier": {
            "system": f"{SYSTEM}:visit",
            "value": f"{participant.study_code}/{visit.code}",
        },
    }
    if response.answered_on:
        resource["authored"] = _date(dataset.shift(participant, response.answered_on))
    if items:
        resource["item"] = items
    return resource


def _score_observations(dataset: Dataset, participant: Any, response: Any) -> list[dict[str, Any]]:
    found = []
    for code, score in sorted(response.scores.items()):
        value = score.get("value") if isinstance(score, dict) else score
        if value is None:
            continue
        resource: dict[str, Any] = {
            "resourceType": "Observation",
            "id": f"score-{response.pk}-{code}".replace("_", "-"),
            "status": "final" if response.status in ResponseStatus.finished() else "preliminary",
            "category": [
                {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                            "code": "survey",
                        }
                    ]
                }
            ],
            "code": {"coding": [{"system": f"{SYSTEM}:score", "code": code}], "text": code},
            "subject": {"reference": f"Patient/{participant.study_code}"},
            "derivedFrom": [{"reference": f"QuestionnaireResponse/qr-{response.pk}"}],
            "valueQuantity": {
                "value": float(value),
                "unit": "score",
                "system": UCUM,
                "code": "{score}",
            },
        }
        if response.answered_on:
            resource["effectiveDateTime"] = _date(dataset.shift(participant, response.answered_on))
        found.append(resource)
    return found


def _biomarker(dataset: Dataset, participant: Any, m: Any) -> dict[str, Any]:
    quantity: dict[str, Any] = {"unit": m.unit, "system": UCUM, "code": m.unit}
    if m.limit_flag == "below_lloq" and m.lloq is not None:
        quantity.update(value=float(m.lloq), comparator="<")
    elif m.value is not None:
        quantity["value"] = float(m.value)
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": f"lab-{m.pk}",
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "laboratory",
                    }
                ]
            }
        ],
        "code": {
            "coding": [{"system": f"{SYSTEM}:analyte", "code": m.analyte}],
            "text": m.analyte_def.name,
        },
        "subject": {"reference": f"Patient/{participant.study_code}"},
        "effectiveDateTime": dataset.shift(participant, m.collected_at).isoformat(),
        "valueQuantity": quantity,
    }
    if m.lloq is not None:
        resource["referenceRange"] = [
            {
                "low": {"value": float(m.lloq), "unit": m.unit, "system": UCUM, "code": m.unit},
                "text": "lower limit of quantification",
            }
        ]
    if m.matrix:
        resource["specimen"] = {"display": m.get_matrix_display()}
    return resource


def _patient_ref(participant: Any) -> dict[str, str]:
    return {"reference": f"Patient/{participant.study_code}"}


def _product_code(product_type: str) -> dict[str, Any]:
    label = str(ProductType(product_type).label) if product_type in ProductType.values else ""
    return {
        "coding": [{"system": f"{SYSTEM}:product-type", "code": product_type, "display": label}],
        "text": label or product_type,
    }


def _lot_product(participant: Any, lot: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "BiologicallyDerivedProduct",
        "id": lot.code,
        "identifier": [{"system": f"{SYSTEM}:lot", "value": lot.code}],
        "productCategory": PRODUCT_CATEGORY.get(lot.product_type, "cells"),
        "productCode": _product_code(lot.product_type),
    }
    if lot.participant_id == participant.pk:
        # Autologous: the child is the source; an allogeneic donor stays with the bank.
        resource["collection"] = {"source": _patient_ref(participant)}
    return resource


def _container_product(administration: Any) -> dict[str, Any]:
    container, lot = administration.container, administration.lot
    return {
        "resourceType": "BiologicallyDerivedProduct",
        "id": container.code,
        "identifier": [{"system": f"{SYSTEM}:container", "value": container.code}],
        "productCategory": PRODUCT_CATEGORY.get(lot.product_type, "cells"),
        "productCode": _product_code(lot.product_type),
        "status": "unavailable",  # given: nothing left to use
        "parent": [{"reference": f"BiologicallyDerivedProduct/{lot.code}"}],
    }


def _procedure(dataset: Dataset, participant: Any, a: Any) -> dict[str, Any]:
    route = str(Route(a.route).label) if a.route in Route.values else a.route
    product = _product_code(a.lot.product_type)["text"]
    unit = DOSE_UNIT.get(a.dose_unit, a.dose_unit)
    return {
        "resourceType": "Procedure",
        "id": a.code,
        "identifier": [{"system": f"{SYSTEM}:administration", "value": a.code}],
        "status": "completed",
        "code": {
            "coding": [{"system": f"{SYSTEM}:route", "code": a.route, "display": route}],
            "text": f"{route} administration of {product}",
        },
        "subject": _patient_ref(participant),
        "performedPeriod": {
            "start": dataset.shift(participant, a.started_at).isoformat(),
            "end": dataset.shift(participant, a.stopped_at).isoformat(),
        },
        "usedReference": [{"reference": f"BiologicallyDerivedProduct/{a.container.code}"}],
        "extension": [
            {
                "url": f"{SYSTEM}:dose-per-kg",
                "valueQuantity": {
                    "value": float(a.dose_per_kg),
                    "unit": unit,
                    "system": UCUM,
                    "code": unit,
                },
            }
        ],
    }


def _coding(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


def _adverse_event(
    dataset: Dataset, participant: Any, e: Any, procedures: set[str]
) -> dict[str, Any]:
    event: dict[str, Any] = {"text": e.term}
    if e.coded_term:
        coding: dict[str, Any] = {"system": MEDDRA, "display": e.coded_term}
        if e.coded_term_code:
            coding["code"] = e.coded_term_code
        if e.coding_dictionary:
            coding["version"] = e.coding_dictionary
        event["coding"] = [coding]
    extensions: list[dict[str, Any]] = [{"url": f"{SYSTEM}:ctcae-grade", "valueInteger": e.grade}]
    extensions.extend(
        {"url": f"{SYSTEM}:seriousness-criterion", "valueCode": code} for code in e.criteria
    )
    if e.resolution_date:
        extensions.append(
            {
                "url": f"{SYSTEM}:resolution-date",
                "valueDate": _date(dataset.shift(participant, e.resolution_date)),
            }
        )
    resource: dict[str, Any] = {
        "resourceType": "AdverseEvent",
        "id": e.code,
        "identifier": {"system": f"{SYSTEM}:adverse-event", "value": e.code},
        "actuality": "actual",
        "event": event,
        "subject": _patient_ref(participant),
        "date": _date(dataset.shift(participant, e.onset_date)),
        "recordedDate": dataset.shift(participant, e.aware_at).isoformat(),
        "seriousness": _coding(
            f"{TERMINOLOGY}/adverse-event-seriousness",
            "serious" if e.is_serious else "non-serious",
        ),
        "severity": _coding(
            f"{TERMINOLOGY}/adverse-event-severity", AE_SEVERITY.get(e.grade, "severe")
        ),
        "outcome": _coding(
            f"{TERMINOLOGY}/adverse-event-outcome", AE_OUTCOME.get(e.outcome, "unknown")
        ),
        "extension": extensions,
    }
    if e.administration_code in procedures:
        resource["suspectEntity"] = [
            {
                "instance": {"reference": f"Procedure/{e.administration_code}"},
                "causality": [
                    {
                        "assessment": _coding(f"{SYSTEM}:relatedness", related),
                        "productRelatedness": about,
                    }
                    for about, related in (
                        ("product", e.relatedness_product),
                        ("procedure", e.relatedness_procedure),
                    )
                ],
            }
        ]
    return resource


def resource_uuid(resource_type: str, natural_key: str) -> str:
    """The stable id of a resource: UUID 5 of its type and natural key."""
    return str(uuid.uuid5(NAMESPACE, f"{resource_type}/{natural_key}"))


def _point_at_full_urls(node: Any, full_urls: dict[str, str]) -> None:
    """Replace every ``Type/natural-key`` reference by the fullUrl of that entry."""
    if isinstance(node, list):
        for item in node:
            _point_at_full_urls(item, full_urls)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "reference" and isinstance(value, str):
                if value not in full_urls:
                    raise ValueError(f"FHIR reference {value!r} is not in the bundle")
                node[key] = full_urls[value]
            else:
                _point_at_full_urls(value, full_urls)


def export_bundle(dataset: Dataset) -> Any:
    """A ``collection`` bundle of every resource, validated by the chosen version's models."""
    # Displays are English whatever language the person exporting reads.
    with translation.override("en"):
        return fhir_versions.validate(_export_bundle(dataset), dataset.options.fhir_version)


def _export_bundle(dataset: Dataset) -> dict[str, Any]:
    resources: list[dict[str, Any]] = []

    def add(resource: dict[str, Any], participant: Any) -> None:
        if participant.site.is_synthetic:
            # Every resource of a demo child says so, not only its Patient.
            resource.setdefault("meta", {}).setdefault("tag", []).append(SYNTHETIC)
        resources.append(resource)

    lots: set[str] = set()  # an allogeneic lot may be given to several children
    for participant in dataset.participants:
        add(_patient(dataset, participant), participant)
        for visit in dataset.visits.get(participant.pk, []):
            for response in dataset.responses.get(visit.pk, []):
                if response.status == ResponseStatus.NOT_DONE:
                    continue
                add(_questionnaire_response(dataset, participant, visit, response), participant)
                for observation in _score_observations(dataset, participant, response):
                    add(observation, participant)
        for measurement in dataset.measurements.get(participant.pk, []):
            add(_biomarker(dataset, participant, measurement), participant)
        procedures: set[str] = set()
        for administration in dataset.administrations.get(participant.pk, []):
            if administration.lot.code not in lots:
                lots.add(administration.lot.code)
                add(_lot_product(participant, administration.lot), participant)
            add(_container_product(administration), participant)
            add(_procedure(dataset, participant, administration), participant)
            procedures.add(administration.code)
        for event in dataset.adverse_events.get(participant.pk, []):
            add(_adverse_event(dataset, participant, event, procedures), participant)
    full_urls: dict[str, str] = {}
    for resource in resources:
        natural = f"{resource['resourceType']}/{resource['id']}"
        if "identifier" not in resource:  # the natural key stays readable
            resource["identifier"] = [{"system": f"{SYSTEM}:observation", "value": resource["id"]}]
        resource["id"] = resource_uuid(resource["resourceType"], resource["id"])
        full_urls[natural] = f"urn:uuid:{resource['id']}"
    entries = []
    for resource in resources:
        _point_at_full_urls(resource, full_urls)
        entries.append({"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource})
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def export_bundle_json(dataset: Dataset) -> str:
    return json.dumps(json.loads(export_bundle(dataset).model_dump_json()), indent=1)
