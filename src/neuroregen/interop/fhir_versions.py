"""FHIR versions of the export bundle: R4 (default), R4B and R5, each validated.

The resources are built in R4 shape (:mod:`neuroregen.interop.fhir`). R4 is the default because
it is what receiving systems run (EHRs, national and research FHIR servers, US Core and most
implementation guides are R4); R4B and R5 are offered for those that ask.

- **R4 and R4B**: R4B (4.3.0) changed the medication-definition, Subscription and evidence
  resources and left the ones exported here (Patient, QuestionnaireResponse, Observation,
  BiologicallyDerivedProduct, Procedure, AdverseEvent, Bundle) as they were in R4 (4.0.1), so
  both are the same JSON. ``fhir.resources`` has no R4 models (it ships R5, R4B and STU3), so an
  R4 bundle is validated with the R4B models.
- **R5** (validated with ``fhir.resources``' R5 models) renamed or restructured elements of
  four of them: QuestionnaireResponse.identifier is a list; Procedure.performed[x] is
  occurrence[x] and usedReference is ``used`` (CodeableReference); BiologicallyDerivedProduct
  .productCategory is a Coding and status is productStatus (a Coding); AdverseEvent.event is
  ``code``, date is occurrenceDateTime, outcome is a list, status is required, severity is gone
  (kept in HL7's cross-version extension) and each suspect entity has one causality, so the
  product and the procedure are two suspect entities, each with its relatedness.
"""

from __future__ import annotations

from typing import Any

from fhir.resources.bundle import Bundle as BundleR5
from fhir.resources.R4B.bundle import Bundle as BundleR4B

MODELS: dict[str, Any] = {"r4": BundleR4B, "r4b": BundleR4B, "r5": BundleR5}
LABELS = {"r4": "4.0.1", "r4b": "4.3.0", "r5": "5.0.0"}
SEVERITY_R4 = "http://hl7.org/fhir/4.0/StructureDefinition/extension-AdverseEvent.severity"
CATEGORY = "http://hl7.org/fhir/product-category"
PRODUCT_STATUS = "http://hl7.org/fhir/biologicallyderived-product-status"
# R5 requires the event's status; R4 implies it by the outcome
AE_STATUS = {
    "resolved": "completed",
    "resolvedWithSequelae": "completed",
    "fatal": "completed",
    "recovering": "in-progress",
    "ongoing": "in-progress",
}


def validate(bundle: dict[str, Any], version: str) -> Any:
    """The bundle parsed by the models of ``version`` (raises when a resource is invalid)."""
    if version not in MODELS:
        raise ValueError(f"FHIR version must be one of {', '.join(MODELS)}, not {version!r}")
    if version == "r5":
        by_url = {e["fullUrl"]: e["resource"] for e in bundle["entry"]}
        bundle = {**bundle, "entry": [_r5_entry(e, by_url) for e in bundle["entry"]]}
    return MODELS[version].model_validate(bundle)


def _r5_entry(entry: dict[str, Any], by_url: dict[str, Any]) -> dict[str, Any]:
    resource = dict(entry["resource"])
    convert = R5.get(resource["resourceType"])
    if convert is not None:
        resource = convert(resource, by_url)
    return {**entry, "resource": resource}


def _questionnaire_response(r: dict[str, Any], _by_url: dict[str, Any]) -> dict[str, Any]:
    if "identifier" in r:
        r["identifier"] = [r["identifier"]]
    return r


def _procedure(r: dict[str, Any], _by_url: dict[str, Any]) -> dict[str, Any]:
    if "performedPeriod" in r:
        r["occurrencePeriod"] = r.pop("performedPeriod")
    if "usedReference" in r:
        r["used"] = [{"reference": ref} for ref in r.pop("usedReference")]
    return r


def _product(r: dict[str, Any], _by_url: dict[str, Any]) -> dict[str, Any]:
    if "productCategory" in r:
        r["productCategory"] = {"system": CATEGORY, "code": r["productCategory"]}
    if "status" in r:
        r["productStatus"] = {"system": PRODUCT_STATUS, "code": r.pop("status")}
    return r


def _adverse_event(r: dict[str, Any], by_url: dict[str, Any]) -> dict[str, Any]:
    r["code"] = r.pop("event")
    if "date" in r:
        r["occurrenceDateTime"] = r.pop("date")
    outcome = r.pop("outcome", None)
    code = outcome["coding"][0]["code"] if outcome else "unknown"
    r["status"] = AE_STATUS.get(code, "unknown")
    if outcome:
        r["outcome"] = [outcome]
    if "severity" in r:
        severity = {"url": SEVERITY_R4, "valueCodeableConcept": r.pop("severity")}
        r["extension"] = [*r.get("extension", []), severity]
    if "identifier" in r:
        r["identifier"] = [r["identifier"]]
    suspects = []
    for suspect in r.pop("suspectEntity", []):
        procedure = suspect["instance"]
        used = by_url.get(procedure["reference"], {}).get("usedReference", [])
        for causality in suspect.get("causality", []):
            about = causality.get("productRelatedness")
            instance = used[0] if about == "product" and used else procedure
            suspects.append(
                {
                    "instanceReference": instance,
                    "causality": {"entityRelatedness": causality["assessment"]},
                }
            )
    if suspects:
        r["suspectEntity"] = suspects
    return r


R5 = {
    "QuestionnaireResponse": _questionnaire_response,
    "Procedure": _procedure,
    "BiologicallyDerivedProduct": _product,
    "AdverseEvent": _adverse_event,
}
