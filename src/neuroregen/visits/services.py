"""Writes of the visits app: generating, anchoring, rescheduling and recording visits.

Each function is one transaction, checks the capability at the participant's site, and stamps
the acting user and reason into the audit trail. Dates come from ``protocols.timeline`` only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from neuroregen.core.audit import stamp
from neuroregen.core.errors import ValidationFailed
from neuroregen.core.permissions import has_capability, require
from neuroregen.core.roles import Capability
from neuroregen.participants import choices as pc
from neuroregen.participants.services import ensure_data_entry_allowed
from neuroregen.protocols import timeline
from neuroregen.protocols.models import Assignment, Protocol
from neuroregen.protocols.selectors import current_assignment
from neuroregen.protocols.visit_choices import Phase
from neuroregen.visits.errors import (
    DayZeroBeforeConsent,
    DayZeroInvalid,
    NoAssignmentInForce,
    VisitAlreadyRecorded,
    VisitDateInvalid,
)
from neuroregen.visits.models import Visit, VisitDefinition


def _require_scheduler(user: Any, site: Any) -> None:
    # Day 0 is recorded by whoever records the first administration (products app) or by
    # staff who manage the participant.
    if not has_capability(user, Capability.ADMINISTER_PRODUCT, site):
        require(user, Capability.MANAGE_PARTICIPANT, site)


def _site_today(participant: Any) -> dt.date:
    return timeline.today_at(participant.site.time_zone)


def _definitions_for(protocol: Protocol, arm_code: str) -> list[VisitDefinition]:
    return [
        d
        for d in protocol.visit_definitions.order_by("target_day", "code")
        if d.applies_to(arm_code)
    ]


def _place(visit: Visit, definition: VisitDefinition, day_zero: dt.date) -> bool:
    """Put the visit's dates on ``day_zero``; True if anything moved."""
    opens, target, closes = definition.window().dates(day_zero)
    moved = (visit.window_open, visit.target_date, visit.window_close) != (opens, target, closes)
    old_target = visit.target_date
    visit.window_open, visit.target_date, visit.window_close = opens, target, closes
    # An appointment booked for the old target follows it; one still inside the new window stays.
    if (
        visit.scheduled_for is None
        or visit.scheduled_for == old_target
        or not (opens <= visit.scheduled_for <= closes)
    ):
        visit.scheduled_for = target if visit.is_open else visit.scheduled_for
    return moved


def _new_visit(
    assignment: Assignment, definition: VisitDefinition, day_zero: dt.date, provisional: bool
) -> Visit:
    visit = Visit(
        participant=assignment.participant,
        assignment=assignment,
        definition=definition,
        code=definition.code,
        phase=definition.phase,
        target_day=definition.target_day,
        provisional=provisional,
    )
    _place(visit, definition, day_zero)
    return visit


@transaction.atomic
def schedule_generate(*, user: Any, assignment: Assignment, reason: str) -> list[Visit]:
    _require_scheduler(user, assignment.participant.site)
    return _generate(user=user, assignment=assignment, reason=reason)


def _generate(*, user: Any, assignment: Assignment, reason: str) -> list[Visit]:
    """Create the assignment's missing visits and (re-)anchor open ones on its day 0.

    Day 0 is the recorded first administration, else the planned one (visits are then
    provisional). Visits already recorded keep their records; their windows follow day 0 so
    "in window" is judged against the real first administration. The screening visit is
    recorded as done on the participant's screening date.
    """
    participant = assignment.participant
    day_zero = assignment.anchor_day_zero
    if day_zero is None or assignment.arm is None:
        return []
    provisional = assignment.day_zero is None
    existing = {v.code: v for v in assignment.visits.filter(cancelled_on__isnull=True)}
    result: list[Visit] = []
    for definition in _definitions_for(assignment.protocol, assignment.arm.code):
        visit = existing.get(definition.code)
        if visit is None:
            visit = _new_visit(assignment, definition, day_zero, provisional)
            if definition.phase == Phase.SCREENING:
                visit.done_on = participant.screened_on
            stamp(visit, user=user, reason=reason)
            visit.save()
        else:
            # Dates come from the visit's own definition: after an amendment, kept visits stay
            # on the version they were scheduled under.
            moved = _place(visit, visit.definition, day_zero)
            if moved or visit.provisional != provisional:
                visit.provisional = provisional
                stamp(visit, user=user, reason=reason)
                visit.save()
        if (
            not provisional
            and visit.phase == Phase.ADMINISTRATION
            and visit.target_day == 0
            and visit.cancelled_on is None
            and not visit.not_done_reason
            and visit.done_on != day_zero
        ):
            # Day 0 is the first administration: its visit took place on that date.
            visit.done_on = day_zero
            stamp(visit, user=user, reason=f"{reason} (first administration)")
            visit.save()
        result.append(visit)
    return sorted(result, key=lambda v: (v.target_date, v.code))


def _first_guardian_consent(participant: Any) -> dt.date | None:
    dates = [
        consent.signed_on
        for consent in participant.consents.select_related("document")
        if consent.document.kind == pc.ConsentKind.GUARDIAN_CONSENT
    ]
    return min(dates) if dates else None


@transaction.atomic
def day_zero_record(
    *,
    user: Any,
    participant: Any,
    day_zero: dt.date | dt.datetime,
    reason: str = "first administration",
) -> list[Visit]:
    """Record day 0 (the first administration) and anchor the participant's visits on it.

    ``day_zero`` is a site-local date, or a timezone-aware moment turned into the site-local
    date. Refused (nothing changes) before guardian consent (:class:`DayZeroBeforeConsent`),
    in the future, after a withdrawal that blocks contact, or without a confirmed assignment
    (:class:`NoAssignmentInForce`). Recording it again with another date is a correction and
    re-anchors open visits. Returns the participant's visits in date order.
    """
    _require_scheduler(user, participant.site)
    moment = day_zero if isinstance(day_zero, dt.datetime) else None
    try:
        local = timeline.local_date(day_zero, participant.site.time_zone)
    except timeline.NaiveDateTimeError as exc:
        raise DayZeroInvalid(
            _("The administration time must include its time zone."), field="day_zero"
        ) from exc
    assignment = current_assignment(participant)
    if assignment is None:
        raise NoAssignmentInForce()
    assignment = Assignment.objects.select_for_update(of=("self",)).get(pk=assignment.pk)
    consented = _first_guardian_consent(participant)
    if consented is None:
        raise DayZeroBeforeConsent(
            _("No guardian consent is recorded: day 0 cannot be recorded."), field="day_zero"
        )
    if local < consented:
        raise DayZeroBeforeConsent(
            _("Day 0 (%(day)s) is before guardian consent was signed (%(consent)s).")
            % {"day": local, "consent": consented},
            field="day_zero",
        )
    if local > _site_today(participant):
        raise DayZeroInvalid(
            _("Day 0 (%(day)s) is in the future.") % {"day": local}, field="day_zero"
        )
    ensure_data_entry_allowed(participant, pc.DataEntryKind.CONTACT, on=local)
    if not (reason or "").strip():
        raise ValidationFailed(_("Give a reason."), field="reason")
    if assignment.day_zero != local or (moment and assignment.day_zero_at != moment):
        assignment.day_zero = local
        assignment.day_zero_at = moment
        stamp(assignment, user=user, reason=f"day 0 recorded: {reason}")
        assignment.save()
    return _generate(user=user, assignment=assignment, reason=f"day 0: {reason}")


@transaction.atomic
def schedule_apply_amendment(
    *, user: Any, assignment: Assignment, protocol: Protocol, effective_on: dt.date, reason: str
) -> list[Visit]:
    """Move an assignment to an amended protocol version; only future visits change.

    Visits already recorded, or whose window has opened by ``effective_on``, stay as they are,
    on the version they were scheduled under. Open visits whose window opens later are
    cancelled (kept, with the reason) and replaced by the new version's visits whose window
    opens after ``effective_on``.
    """
    participant = assignment.participant
    require(user, Capability.MANAGE_PARTICIPANT, participant.site)
    assignment = Assignment.objects.select_for_update(of=("self",)).get(pk=assignment.pk)
    old_arm = assignment.arm
    new_arm = protocol.arms.filter(code=old_arm.code).first() if old_arm else None
    if old_arm is not None and new_arm is None:
        raise ValidationFailed(
            _("The amendment %(protocol)s has no arm %(arm)s for participant %(participant)s.")
            % {"protocol": protocol, "arm": old_arm.code, "participant": participant}
        )
    assignment.protocol = protocol
    assignment.arm = new_arm
    stamp(assignment, user=user, reason=f"amendment {protocol} applied: {reason}")
    assignment.save()
    day_zero = assignment.anchor_day_zero
    if day_zero is None or new_arm is None:
        return []
    kept: set[str] = set()
    for visit in assignment.visits.filter(cancelled_on__isnull=True).select_related("definition"):
        if visit.is_open and visit.window_open > effective_on:
            visit.cancelled_on = effective_on
            visit.cancel_reason = f"superseded by amendment {protocol}"
            stamp(visit, user=user, reason=f"amendment {protocol}: {reason}")
            visit.save()
        else:
            kept.add(visit.code)
    provisional = assignment.day_zero is None
    created = []
    for definition in _definitions_for(protocol, new_arm.code):
        if definition.code in kept:
            continue
        visit = _new_visit(assignment, definition, day_zero, provisional)
        if visit.window_open <= effective_on:
            continue  # an amendment never reaches back into windows already open
        stamp(visit, user=user, reason=f"amendment {protocol}: {reason}")
        visit.save()
        created.append(visit)
    return created


def _open_visit(visit: Visit) -> Visit:
    visit = (
        Visit.objects.select_for_update(of=("self",))
        .select_related("participant__site")
        .get(pk=visit.pk)
    )
    if not visit.is_open:
        raise VisitAlreadyRecorded()
    return visit


@transaction.atomic
def visit_reschedule(*, user: Any, visit: Visit, scheduled_for: dt.date, reason: str) -> Visit:
    """Book (or move) the appointment. The window does not move; the old date stays in history."""
    require(user, Capability.MANAGE_PARTICIPANT, visit.participant.site)
    visit = _open_visit(visit)
    if not (reason or "").strip():
        raise ValidationFailed(_("Say why the visit is rescheduled."), field="reason")
    if scheduled_for < visit.participant.screened_on:
        raise VisitDateInvalid(_("The appointment is before screening."), field="scheduled_for")
    visit.scheduled_for = scheduled_for
    stamp(visit, user=user, reason=reason)
    visit.save()
    return visit


@transaction.atomic
def visit_record_done(*, user: Any, visit: Visit, done_on: dt.date, reason: str = "") -> Visit:
    """Record that the visit took place on ``done_on`` (out of window is allowed and shown)."""
    require(user, Capability.MANAGE_PARTICIPANT, visit.participant.site)
    visit = _open_visit(visit)
    participant = visit.participant
    if done_on > _site_today(participant):
        raise VisitDateInvalid(_("The visit date is in the future."), field="done_on")
    if done_on < participant.screened_on:
        raise VisitDateInvalid(_("The visit date is before screening."), field="done_on")
    ensure_data_entry_allowed(participant, pc.DataEntryKind.CONTACT, on=done_on)
    visit.done_on = done_on
    stamp(visit, user=user, reason=reason.strip() or "visit done")
    visit.save()
    return visit


@transaction.atomic
def visit_record_not_done(*, user: Any, visit: Visit, reason: str) -> Visit:
    """Record that the visit did not and will not take place (status: missed)."""
    require(user, Capability.MANAGE_PARTICIPANT, visit.participant.site)
    visit = _open_visit(visit)
    if not (reason or "").strip():
        raise ValidationFailed(_("Say why the visit was not done."), field="reason")
    visit.not_done_reason = reason.strip()
    stamp(visit, user=user, reason=f"not done: {reason.strip()}")
    visit.save()
    return visit
