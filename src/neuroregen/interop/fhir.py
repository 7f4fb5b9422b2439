"""HL7 FHIR R4B bundle: Patient (pseudonymous), QuestionnaireResponse, Observation.

Each resource is built as plain JSON and validated through the ``fhir.resources`` R4B models
(a resource that does not validate stops the export). Patients are identified by study code
only; name and birth date are added only when an administrator included identity. Scores are
Observations with the UCUM unit ``{score}``; biomarker values carry their UCUM unit
(``pg/mL``) and the lab's lower limit of quantification as ``referenceRange.low``; a value
below the LLOQ is reported with ``valueQuantity.comparator`` ``<``.

AdverseEvent, BiologicallyDerivedProduct and Procedure follow when the products and safety
exports are connected (see the README).
"""

from __future__ import annotations

import json
from typing import Any

from fhir.resources.R4B.bundle import Bundle

from neuroregen.instruments.choices import ResponseStatus
from neuroregen.interop.dataset import Dataset

SYSTEM = "urn:neuroregen"
UCUM = "http://unitsofmeasure.org"
GENDER = {"M": "male", "F": "female", "U": "unknown"}
QR_STATUS = {ResponseStatus.COMPLETE: "completed", ResponseStatus.IN_PROGRESS: "in-progress"}


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
    if participant.site.is_synthetic:
        resource.setdefault("meta", {})["tag"] = [
            {"system": f"{SYSTEM}:data", "code": "synthetic", "display": "Synthetic data"}
        ]
    return resource


def _answer(field: Any, value: Any) -> list[dict[str, Any]]:
    values = value if isinstance(value, list) else [value]
    answers = []
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


def _score_observations(dataset: Dataset, participant: Any, response: Any) -> list[dict]:
    found = []
    for code, score in sorted(response.scores.items()):
        value = score.get("value") if isinstance(score, dict) else score
        if value is None:
            continue
        resource = {
            "resourceType": "Observation",
            "id": f"score-{response.pk}-{code}".replace("_", "-"),
            "status": "final" if response.status == ResponseStatus.COMPLETE else "preliminary",
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


def export_bundle(dataset: Dataset) -> Bundle:
    """A ``collection`` bundle of every resource, validated by the R4B models."""
    entries: list[dict[str, Any]] = []

    def add(resource: dict[str, Any]) -> None:
        entries.append(
            {
                "fullUrl": f"{SYSTEM}:{resource['resourceType']}/{resource['id']}",
                "resource": resource,
            }
        )

    for participant in dataset.participants:
        add(_patient(dataset, participant))
        for visit in dataset.visits.get(participant.pk, []):
            for response in dataset.responses.get(visit.pk, []):
                if response.status == ResponseStatus.NOT_DONE:
                    continue
                add(_questionnaire_response(dataset, participant, visit, response))
                for observation in _score_observations(dataset, participant, response):
                    add(observation)
        for measurement in dataset.measurements.get(participant.pk, []):
            add(_biomarker(dataset, participant, measurement))
    return Bundle.model_validate({"resourceType": "Bundle", "type": "collection", "entry": entries})


def export_bundle_json(dataset: Dataset) -> str:
    return json.dumps(json.loads(export_bundle(dataset).model_dump_json()), indent=1)
