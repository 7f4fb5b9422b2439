"""Reads of the protocols app. Site-scoped reads start from ``for_user``; protocols are global."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from neuroregen.core.errors import NotFound
from neuroregen.protocols import choices as c
from neuroregen.protocols.analysis_plan import plan_spec
from neuroregen.protocols.models import Arm, Assignment, EligibilityRule, Protocol
from neuroregen.protocols.registration import registration_spec

EXPORT_FORMAT = "neuroregen.protocol/1"


def current_assignment(participant: Any) -> Assignment | None:
    """The participant's assignment in force (confirmed or overridden, not ended), if any.

    Called by services of other apps after they have checked access to the participant, so it
    reads by participant rather than through ``for_user``.
    """
    return (
        Assignment.objects.filter(participant=participant, status__in=c.AssignmentStatus.in_force())
        .select_related("protocol", "arm", "participant__site")
        .first()
    )


def protocol_list(*, status: str = "") -> QuerySet[Protocol]:
    qs = Protocol.objects.prefetch_related("arms")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("code", "version")


def active_protocols() -> QuerySet[Protocol]:
    return Protocol.objects.filter(status=c.ProtocolStatus.ACTIVE).order_by("code", "version")


def protocol_get(*, pk: int) -> Protocol:
    found = (
        Protocol.objects.filter(pk=pk)
        .prefetch_related("arms", "rules", "visit_definitions")
        .select_related("supersedes")
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def assignment_list_for(*, user: Any, participant: Any) -> QuerySet[Assignment]:
    return (
        Assignment.objects.for_user(user)
        .filter(participant=participant)
        .select_related("protocol", "arm", "recommended_arm", "confirmed_by")
        .order_by("-evaluated_on", "-pk")
    )


def assignment_get(*, user: Any, pk: int) -> Assignment:
    """One assignment, or :class:`NotFound` — also when it is out of the user's sight."""
    found = (
        Assignment.objects.for_user(user)
        .filter(pk=pk)
        .select_related("participant__site", "protocol", "arm", "recommended_arm", "confirmed_by")
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def _decimal(value: Any) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def arm_spec(arm: Arm) -> dict[str, Any]:
    return {
        "code": arm.code,
        "name": arm.name,
        "product_type": arm.product_type,
        "route": arm.route,
        "dose_unit": arm.dose_unit,
        "dose_per_kg_min": _decimal(arm.dose_per_kg_min),
        "dose_per_kg_max": _decimal(arm.dose_per_kg_max),
        "dose_per_kg_default": _decimal(arm.dose_per_kg_default),
        "dose_absolute_cap": _decimal(arm.dose_absolute_cap),
        "administrations": arm.administrations,
        "spacing_days": arm.spacing_days,
        "is_control": arm.is_control,
    }


def protocol_export(protocol: Protocol) -> dict[str, Any]:
    """The protocol version as a plain, JSON-ready document (import with ``protocol_import``)."""
    protocol = Protocol.objects.prefetch_related(
        Prefetch("arms", queryset=Arm.objects.order_by("code")),
        Prefetch("rules", queryset=EligibilityRule.objects.order_by("order", "code")),
        "visit_definitions",
    ).get(pk=protocol.pk)
    rules = []
    for rule in protocol.rules.all():
        spec = rule.as_spec()
        spec["dose_per_kg"] = _decimal(rule.dose_per_kg)
        rules.append(spec)
    return {
        "format": EXPORT_FORMAT,
        "code": protocol.code,
        "version": protocol.version,
        "name": protocol.name,
        "status": protocol.status,
        "regulatory_reference": protocol.regulatory_reference,
        "description": protocol.description,
        "supersedes": str(protocol.supersedes) if protocol.supersedes_id else None,
        "phase_boundaries": {
            "baseline_from": protocol.baseline_from_day,
            "early_until": protocol.early_until_day,
            "mid_until": protocol.mid_until_day,
            "late_until": protocol.late_until_day,
        },
        "analysis_plan": plan_spec(protocol),
        "registration": registration_spec(protocol),
        "arms": [arm_spec(a) for a in protocol.arms.all()],
        "rules": rules,
        "schedule": [
            d.as_spec() for d in protocol.visit_definitions.order_by("target_day", "code")
        ],
    }


def _decisions(evaluation: dict[str, Any]) -> Any:
    return (
        [(o["rule"], o["met"], o["fired"]) for o in evaluation.get("outcomes", [])],
        [(a["code"], a["eligible"]) for a in evaluation.get("arms", [])],
        evaluation.get("recommended_arm"),
        evaluation.get("eligible"),
    )


def assignment_evaluation_worded(assignment: Assignment) -> dict[str, Any]:
    """The assignment's stored evaluation in the reader's language.

    The stored texts are worded in the language of whoever asked for the recommendation. The
    stored profile is evaluated again under the protocol's rules, in the active language, and
    that wording is shown only when it reaches exactly the stored decisions (every rule's
    outcome, every arm, the recommendation); otherwise (rules revised since) the stored record
    is shown as it was written.
    """
    from neuroregen.protocols import rules as rule_engine

    stored = assignment.evaluation or {}
    arms = [arm_spec(a) for a in assignment.protocol.arms.order_by("code")]
    rules = [r.as_spec() for r in assignment.protocol.rules.order_by("order", "code")]
    try:
        again = rule_engine.evaluate(rules, arms, assignment.profile or {}).as_dict()
    except (KeyError, TypeError, ValueError):
        return stored
    return again if _decisions(again) == _decisions(stored) else stored
