"""Writes of the protocols app: protocol versions as data, and personalised assignment.

Each function is one transaction, checks the capability, validates before writing, and stamps
the acting user and reason into the audit trail.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from neuroregen.core.audit import stamp
from neuroregen.core.errors import InvalidTransition, ValidationFailed
from neuroregen.core.models import User
from neuroregen.core.permissions import require
from neuroregen.core.roles import Capability
from neuroregen.core.services import signature_create
from neuroregen.participants import choices as pc
from neuroregen.protocols import choices as c
from neuroregen.protocols import profile as profiles
from neuroregen.protocols import rules as rule_engine
from neuroregen.protocols import signals, timeline
from neuroregen.protocols.analysis_plan import apply_plan
from neuroregen.protocols.dose import DoseOutOfBounds, compute_dose
from neuroregen.protocols.errors import (
    DoseOutOfRange,
    NotEligible,
    OverrideReasonRequired,
    ProtocolInvalid,
    ProtocolNotActive,
    ProtocolNotEditable,
    RuleFieldUnknown,
    RuleInvalid,
    ScheduleInvalid,
    WeightMissing,
)
from neuroregen.protocols.models import Arm, Assignment, EligibilityRule, Protocol
from neuroregen.protocols.registration import apply_registration
from neuroregen.protocols.selectors import arm_spec, current_assignment, protocol_export
from neuroregen.protocols.spec import DECIMAL_ARM_FIELDS, SpecReport, boundaries_of, spec_report

# ---------------------------------------------------------------------------------------------
# Protocols as data
# ---------------------------------------------------------------------------------------------


def _raise_for(report: SpecReport) -> None:
    """The most specific coded error for a failed report, carrying every message."""
    if report.ok:
        return
    messages = report.messages()
    unknown = [p for p in report.rules if p.code == "rule_unknown_field"]
    schedule = [p for p in report.schedule if p.is_error]
    if unknown:
        error: ValidationFailed = RuleFieldUnknown(unknown[0].message, field="rules")
    elif report.rules:
        error = RuleInvalid(report.rules[0].message, field="rules")
    elif schedule and not (report.general or report.arms):
        error = ScheduleInvalid(f"{schedule[0].id}: {schedule[0].message}", field="schedule")
    else:
        error = ProtocolInvalid(messages[0])
    error.errors = messages  # type: ignore[attr-defined]
    raise error


# A protocol document is a few levels deep (protocol → arms/rules → conditions); anything
# deeper is not a protocol, and very deep nesting exhausts the parser's recursion.
MAX_JSON_DEPTH = 64
_JSON_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_NOT_BRACKETS = re.compile(r"[^\[\]{}]")


def json_depth(text: str) -> int:
    """How deeply the arrays and objects of ``text`` nest (brackets inside strings ignored)."""
    brackets = _NOT_BRACKETS.sub("", _JSON_STRINGS.sub("", text))
    steps = (1 if ch in "[{" else -1 for ch in brackets)
    return max(itertools.accumulate(steps, initial=0))


def _parse(data: dict[str, Any] | str | bytes) -> dict[str, Any]:
    if isinstance(data, str | bytes):
        if isinstance(data, bytes):
            try:
                data = data.decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise ProtocolInvalid(_("The file is not UTF-8 text.")) from exc
        if json_depth(data) > MAX_JSON_DEPTH:
            raise ProtocolInvalid(
                _("The document is nested more than %(depth)d levels deep; it is not a protocol.")
                % {"depth": MAX_JSON_DEPTH}
            )
        try:
            parsed = json.loads(data)
        except json.JSONDecodeError as exc:
            raise ProtocolInvalid(_("The file is not valid JSON: %s") % exc) from exc
        except RecursionError as exc:  # the depth check above should make this unreachable
            raise ProtocolInvalid(_("The document is nested too deeply.")) from exc
        if not isinstance(parsed, dict):
            raise ProtocolInvalid(_("The protocol document must be a JSON object."))
        return parsed
    return data


def _delete(obj: Any, *, user: User, reason: str) -> None:
    stamp(obj, user=user, reason=reason)
    obj.delete()


def _write_content(protocol: Protocol, data: dict[str, Any], *, user: User, reason: str) -> None:
    """Replace arms, rules and schedule of a draft from a validated document."""
    for item in [*protocol.rules.all(), *protocol.arms.all()]:
        _delete(item, user=user, reason=reason)
    for arm in data.get("arms") or []:
        values = {k: Decimal(str(arm[k])) for k in DECIMAL_ARM_FIELDS}
        cap = arm.get("dose_absolute_cap")
        row = Arm(
            protocol=protocol,
            code=arm["code"],
            name=arm["name"],
            product_type=arm["product_type"],
            route=arm["route"],
            dose_unit=arm["dose_unit"],
            dose_absolute_cap=None if cap in (None, "") else Decimal(str(cap)),
            administrations=arm.get("administrations", 1),
            spacing_days=arm.get("spacing_days", 0),
            is_control=bool(arm.get("is_control", False)),
            **values,
        )
        row.full_clean(exclude=["protocol"])
        stamp(row, user=user, reason=reason)
        row.save()
    for order, rule in enumerate(data.get("rules") or []):
        dose = rule.get("dose_per_kg")
        rule_row = EligibilityRule(
            protocol=protocol,
            code=rule["code"],
            kind=rule["kind"],
            field=rule["field"],
            operator=rule["operator"],
            value=rule["value"],
            arm_code=rule.get("arm_code") or "",
            dose_per_kg=None if dose in (None, "") else Decimal(str(dose)),
            reason=rule["reason"].strip(),
            order=order,
        )
        stamp(rule_row, user=user, reason=reason)
        rule_row.save()
    signals.schedule_replaced.send(
        sender=Protocol,
        protocol=protocol,
        schedule=data.get("schedule") or [],
        user=user,
        reason=reason,
    )


def _apply_header(protocol: Protocol, data: dict[str, Any]) -> None:
    protocol.name = data["name"].strip()
    protocol.regulatory_reference = (data.get("regulatory_reference") or "").strip()
    protocol.description = data.get("description") or ""
    bounds = boundaries_of(data)
    protocol.baseline_from_day = bounds.baseline_from
    protocol.early_until_day = bounds.early_until
    protocol.mid_until_day = bounds.mid_until
    protocol.late_until_day = bounds.late_until
    apply_plan(protocol, data)
    apply_registration(protocol, data)


@transaction.atomic
def protocol_import(*, user: User, data: dict[str, Any] | str) -> Protocol:
    """Create a draft protocol version from a document; the whole document is checked first.

    A version that already exists is refused: a new version never changes an old one.
    """
    require(user, Capability.MANAGE_PROTOCOL)
    data = _parse(data)
    _raise_for(spec_report(data))
    if Protocol.objects.filter(code=data["code"], version=data["version"]).exists():
        raise ProtocolInvalid(
            _("Protocol %(code)s version %(version)s already exists; import it as a new version.")
            % {"code": data["code"], "version": data["version"]},
            field="version",
        )
    protocol = Protocol(code=data["code"], version=str(data["version"]))
    _apply_header(protocol, data)
    protocol.full_clean()
    stamp(protocol, user=user, reason="imported")
    protocol.save()
    _write_content(protocol, data, user=user, reason="imported")
    return protocol


@transaction.atomic
def protocol_update(
    *, user: User, protocol: Protocol, data: dict[str, Any] | str, reason: str
) -> Protocol:
    """Replace a draft's content (header, arms, rules, schedule) from a document."""
    require(user, Capability.MANAGE_PROTOCOL)
    protocol = Protocol.objects.select_for_update(of=("self",)).get(pk=protocol.pk)
    if not protocol.is_editable:
        raise ProtocolNotEditable()
    if not (reason or "").strip():
        raise ValidationFailed(_("Give a reason for the change."), field="reason")
    data = _parse(data)
    data.setdefault("code", protocol.code)
    data.setdefault("version", protocol.version)
    if data["code"] != protocol.code or str(data["version"]) != protocol.version:
        raise ProtocolInvalid(
            _("Code and version identify the protocol and cannot change here."), field="version"
        )
    _raise_for(spec_report(data))
    _apply_header(protocol, data)
    protocol.full_clean()
    stamp(protocol, user=user, reason=reason)
    protocol.save()
    _write_content(protocol, data, user=user, reason=reason)
    return protocol


@transaction.atomic
def protocol_amend(*, user: User, protocol: Protocol, version: str, reason: str) -> Protocol:
    """Start an amendment: a new draft version with the same content, superseding this one."""
    require(user, Capability.MANAGE_PROTOCOL)
    if protocol.status != c.ProtocolStatus.ACTIVE:
        raise InvalidTransition(_("Only an active protocol can be amended."))
    if not (reason or "").strip():
        raise ValidationFailed(_("Give the reason for the amendment."), field="reason")
    data = protocol_export(protocol) | {"version": version.strip()}
    amendment = protocol_import(user=user, data=data)
    amendment.supersedes = protocol
    amendment.description = (protocol.description + f"\n\nAmendment: {reason.strip()}").strip()
    stamp(amendment, user=user, reason=f"amendment of {protocol}: {reason.strip()}")
    amendment.save()
    return amendment


@transaction.atomic
def protocol_activate(
    *,
    user: User,
    protocol: Protocol,
    reason: str = "activated",
    effective_on: dt.date | None = None,
) -> Protocol:
    """Put a draft in force. An amendment closes the version it supersedes and moves every
    assignment in force onto itself; only visits whose window has not opened change."""
    require(user, Capability.MANAGE_PROTOCOL)
    protocol = Protocol.objects.select_for_update(of=("self",)).get(pk=protocol.pk)
    if protocol.status != c.ProtocolStatus.DRAFT:
        raise InvalidTransition(_("Only a draft protocol can be activated."))
    _raise_for(spec_report(protocol_export(protocol)))
    # A protocol version is programme-wide, so its activation date is the programme's (UTC)
    # date; each assignment moves onto it on its own site's date (below).
    effective_on = effective_on or timezone.localdate()
    protocol.status = c.ProtocolStatus.ACTIVE
    protocol.activated_on = effective_on
    stamp(protocol, user=user, reason=reason)
    protocol.save()
    previous = protocol.supersedes
    if previous is not None and previous.status == c.ProtocolStatus.ACTIVE:
        previous.status = c.ProtocolStatus.CLOSED
        stamp(previous, user=user, reason=f"superseded by {protocol}")
        previous.save()
        in_force = Assignment.objects.filter(
            protocol=previous, status__in=c.AssignmentStatus.in_force()
        ).select_related("participant__site", "arm")
        for assignment in in_force:
            signals.amendment_in_force.send(
                sender=Assignment,
                user=user,
                assignment=assignment,
                protocol=protocol,
                effective_on=timeline.today_at(assignment.participant.site.time_zone),
                reason=reason,
            )
    return protocol


@transaction.atomic
def protocol_close(*, user: User, protocol: Protocol, reason: str) -> Protocol:
    require(user, Capability.MANAGE_PROTOCOL)
    protocol = Protocol.objects.select_for_update(of=("self",)).get(pk=protocol.pk)
    if protocol.status == c.ProtocolStatus.CLOSED:
        raise InvalidTransition(_("The protocol is already closed."))
    if not (reason or "").strip():
        raise ValidationFailed(_("Give the reason for closing."), field="reason")
    protocol.status = c.ProtocolStatus.CLOSED
    stamp(protocol, user=user, reason=reason)
    protocol.save()
    return protocol


# ---------------------------------------------------------------------------------------------
# Personalised assignment
# ---------------------------------------------------------------------------------------------


def protocol_evaluate(
    *, protocol: Protocol, participant: Any, on: dt.date, facts: dict[str, Any] | None = None
) -> tuple[dict[str, Any], rule_engine.Evaluation]:
    """The participant's profile and the evaluation of the protocol's rules against it."""
    profile = profiles.participant_profile(participant, on=on, facts=facts)
    arms = [arm_spec(a) for a in protocol.arms.order_by("code")]
    rules = [r.as_spec() for r in protocol.rules.order_by("order", "code")]
    return profile, rule_engine.evaluate(rules, arms, profile)


def _dose(arm: Arm, participant: Any, per_kg: Decimal | None, on: dt.date) -> dict[str, Any]:
    weight = profiles.latest_weight(participant, on)
    if weight is None:
        raise WeightMissing(field="dose_per_kg")
    try:
        calc = compute_dose(arm.dose_rule(), weight.weight_kg, per_kg)
    except DoseOutOfBounds as exc:
        raise DoseOutOfRange(
            _("Dose refused: %(detail)s (arm %(arm)s).") % {"detail": exc, "arm": arm.name},
            field="dose_per_kg",
        ) from exc
    return {
        "dose_per_kg": calc.per_kg,
        "dose_total": calc.total,
        "dose_unit": calc.unit,
        "dose_capped": calc.capped,
        "dose_explanation": calc.explain()[:300],
        "weight_kg": weight.weight_kg,
        "weight_measured_on": weight.measured_on,
    }


@transaction.atomic
def assignment_recommend(
    *,
    user: User,
    participant: Any,
    protocol: Protocol,
    facts: dict[str, Any] | None = None,
    on: dt.date | None = None,
) -> Assignment:
    """Evaluate the protocol's rules for the participant and record the recommendation.

    The profile and every rule outcome (with its reason) are stored as evaluated.
    """
    require(user, Capability.MANAGE_PARTICIPANT, participant.site)
    if protocol.status != c.ProtocolStatus.ACTIVE:
        raise ProtocolNotActive()
    if participant.status in (pc.ParticipantStatus.WITHDRAWN, pc.ParticipantStatus.SCREEN_FAILED):
        raise InvalidTransition(
            _("A participant who is %(status)s cannot be assigned.")
            % {"status": participant.get_status_display().lower()}
        )
    if current_assignment(participant) is not None:
        raise InvalidTransition(
            _("The participant already has an assignment in force; end it first.")
        )
    on = on or timeline.today_at(participant.site.time_zone)
    profile, evaluation = protocol_evaluate(
        protocol=protocol, participant=participant, on=on, facts=facts
    )
    recommended = protocol.arms.filter(code=evaluation.recommended_arm).first()
    assignment = Assignment(
        participant=participant,
        protocol=protocol,
        evaluated_on=on,
        profile=profile,
        evaluation=evaluation.as_dict(),
        eligible=evaluation.eligible,
        recommended_arm=recommended,
        recommended_dose_per_kg=evaluation.recommended_dose_per_kg,
    )
    stamp(assignment, user=user, reason="recommendation evaluated")
    assignment.save()
    return assignment


@transaction.atomic
def assignment_confirm(
    *,
    user: User,
    assignment: Assignment,
    password: str,
    arm: Arm | None = None,
    dose_per_kg: Decimal | None = None,
    override_reason: str = "",
    planned_day_zero: dt.date | None = None,
) -> Assignment:
    """The investigator confirms the recommendation, or overrides it (another eligible arm or
    dose) with a reason, and signs. Dose comes from the latest weight and the arm's rule and is
    refused outside the rule. With a planned day 0 the visits are generated (provisional)."""
    participant = assignment.participant
    require(user, Capability.SIGN_CLINICAL, participant.site)
    assignment = (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("protocol", "recommended_arm", "participant__site")
        .get(pk=assignment.pk)
    )
    if assignment.status != c.AssignmentStatus.RECOMMENDED:
        raise InvalidTransition(_("Only a recommendation awaiting decision can be confirmed."))
    if assignment.protocol.status != c.ProtocolStatus.ACTIVE:
        raise ProtocolNotActive()
    if current_assignment(participant) is not None:
        raise InvalidTransition(_("The participant already has an assignment in force."))
    arm = arm or assignment.recommended_arm
    if arm is None or arm.protocol_id != assignment.protocol_id:
        raise NotEligible(
            _("No eligible arm: the participant is excluded (see the reasons)."), field="arm"
        )
    eligible = {a["code"] for a in assignment.evaluation.get("arms", []) if a["eligible"]}
    if arm.code not in eligible:
        raise NotEligible(
            _("Arm %(arm)s is not open to this participant (see the reasons).") % {"arm": arm.name},
            field="arm",
        )
    recommended_dose = assignment.recommended_dose_per_kg
    if arm != assignment.recommended_arm:
        recommended_dose = arm.dose_per_kg_default
    per_kg = dose_per_kg if dose_per_kg is not None else recommended_dose
    today = timeline.today_at(participant.site.time_zone)
    dose = _dose(arm, participant, per_kg, today)
    overridden = arm != assignment.recommended_arm or (
        recommended_dose is not None and dose["dose_per_kg"] != recommended_dose
    )
    override_reason = (override_reason or "").strip()
    if overridden and not override_reason:
        raise OverrideReasonRequired(field="override_reason")
    if planned_day_zero is not None and planned_day_zero < today - dt.timedelta(days=365):
        raise ValidationFailed(
            _("The planned day 0 is more than a year ago."), field="planned_day_zero"
        )
    assignment.arm = arm
    for key, value in dose.items():
        setattr(assignment, key, value)
    assignment.status = (
        c.AssignmentStatus.OVERRIDDEN if overridden else c.AssignmentStatus.CONFIRMED
    )
    assignment.override_reason = override_reason if overridden else ""
    assignment.confirmed_by = user
    assignment.confirmed_at = timezone.now()
    assignment.planned_day_zero = planned_day_zero
    stamp(
        assignment,
        user=user,
        reason=(f"override: {override_reason}" if overridden else "recommendation confirmed"),
    )
    assignment.save()
    # Signed after saving, so the signature's digest covers the decision as stored; a wrong
    # password raises and the whole transaction (decision included) is rolled back.
    signature_create(
        user=user,
        password=password,
        record=assignment,
        meaning=(
            _("I confirm the assignment of %(participant)s to %(arm)s, %(dose)s")
            % {"participant": participant, "arm": arm, "dose": assignment.dose_explanation}
            + (_(" (override: %s)") % override_reason if overridden else "")
        )[:300],
    )
    if planned_day_zero is not None:
        signals.assignment_confirmed.send(
            sender=Assignment,
            user=user,
            assignment=assignment,
            reason="scheduled at assignment (planned day 0)",
        )
    return assignment


@transaction.atomic
def assignment_decline(*, user: User, assignment: Assignment, reason: str) -> Assignment:
    """The investigator does not take up a recommendation (e.g. family declines)."""
    require(user, Capability.SIGN_CLINICAL, assignment.participant.site)
    assignment = Assignment.objects.select_for_update(of=("self",)).get(pk=assignment.pk)
    if assignment.status != c.AssignmentStatus.RECOMMENDED:
        raise InvalidTransition()
    if not (reason or "").strip():
        raise ValidationFailed(_("Give the reason."), field="reason")
    assignment.status = c.AssignmentStatus.DECLINED
    assignment.end_reason = reason.strip()
    stamp(assignment, user=user, reason=f"not confirmed: {reason.strip()}")
    assignment.save()
    return assignment


@transaction.atomic
def assignment_end(
    *, user: User, assignment: Assignment, ended_on: dt.date, reason: str
) -> Assignment:
    """End an assignment in force (completion, withdrawal, stopping rule). Visits stay."""
    require(user, Capability.SIGN_CLINICAL, assignment.participant.site)
    assignment = Assignment.objects.select_for_update(of=("self",)).get(pk=assignment.pk)
    if not assignment.in_force:
        raise InvalidTransition()
    if not (reason or "").strip():
        raise ValidationFailed(_("Give the reason."), field="reason")
    assignment.status = c.AssignmentStatus.ENDED
    assignment.ended_on = ended_on
    assignment.end_reason = reason.strip()
    stamp(assignment, user=user, reason=f"ended: {reason.strip()}")
    assignment.save()
    return assignment
