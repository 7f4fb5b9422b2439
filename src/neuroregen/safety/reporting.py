"""Expedited reporting of serious adverse events: the reporting clocks an event needs
(``safety.clocks``) are started, moved or retired as it is assessed, and each report's
submission is recorded.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from neuroregen.core.audit import stamp
from neuroregen.core.errors import InvalidTransition, ValidationFailed
from neuroregen.core.models import User
from neuroregen.core.permissions import require
from neuroregen.core.roles import Capability
from neuroregen.core.time import format_at
from neuroregen.safety import choices as c
from neuroregen.safety.clocks import due_at, required_clocks
from neuroregen.safety.models import AdverseEvent, ReportingClock
from neuroregen.safety.write_helpers import follow_up, site_zone


def clocks_sync(*, user: User, event: AdverseEvent) -> list[ReportingClock]:
    """Start, move or retire the event's reporting clocks after it was recorded or changed.

    A clock already submitted is never changed. A clock no longer required (the event was
    reassessed as not serious, expected or unrelated) is kept, marked not required, so the
    record shows it was once running. Moving the awareness time moves unsubmitted deadlines.
    """
    tz = site_zone(event.participant)
    needed = required_clocks(
        serious=event.is_serious,
        fatal_or_life_threatening=event.fatal_or_life_threatening,
        expectedness=event.expectedness,
        relatedness_product=event.relatedness_product,
    )
    existing = {clock.kind: clock for clock in event.clocks.select_for_update(of=("self",))}
    result = []
    for kind in c.ClockKind:
        clock = existing.get(kind)
        want = kind in needed
        due = due_at(kind, event.aware_at, tz)
        if clock is None:
            if want:
                clock = ReportingClock(
                    event=event, kind=kind, started_at=event.aware_at, due_at=due
                )
                stamp(clock, user=user, reason="clock started")
                clock.save()
                follow_up(
                    event,
                    user=user,
                    kind=c.FollowUpKind.CLOCK,
                    note=f"{clock.get_kind_display()} due {format_at(due, tz)}",
                )
                result.append(clock)
            continue
        if clock.submitted_at is None and (
            clock.required != want or clock.started_at != event.aware_at or clock.due_at != due
        ):
            note = (
                f"{clock.get_kind_display()}: "
                f"{'required' if want else 'no longer required'}; due {format_at(due, tz)}"
            )
            clock.required = want
            clock.started_at = event.aware_at
            clock.due_at = due
            stamp(clock, user=user, reason=f"event reassessed: {note}")
            clock.save()
            follow_up(event, user=user, kind=c.FollowUpKind.CLOCK, note=note)
        result.append(clock)
    return result


@transaction.atomic
def clock_submit(
    *, user: User, clock: ReportingClock, submitted_at: dt.datetime, reference: str = ""
) -> ReportingClock:
    """Record that the report of ``clock`` was submitted (at ``submitted_at``)."""
    require(user, Capability.REPORT_SAFETY, clock.event.participant.site)
    clock = (
        ReportingClock.objects.select_for_update(of=("self",))
        .select_related("event")
        .get(pk=clock.pk)
    )
    if clock.submitted_at is not None:
        raise InvalidTransition(_("This report is already recorded as submitted."))
    if timezone.is_naive(submitted_at):
        raise ValidationFailed(
            _("The submission time must include its time zone."), field="submitted_at"
        )
    if submitted_at > timezone.now():
        raise ValidationFailed(_("The submission time is in the future."), field="submitted_at")
    # Submission times are typed to the minute; awareness may carry seconds.
    if submitted_at < clock.started_at.replace(second=0, microsecond=0):
        raise ValidationFailed(
            _("The report cannot have been submitted before the site became aware."),
            field="submitted_at",
        )
    clock.submitted_at = submitted_at
    clock.submitted_by = user
    clock.reference = (reference or "").strip()
    stamp(clock, user=user, reason="report submitted")
    clock.save()
    follow_up(
        clock.event,
        user=user,
        kind=c.FollowUpKind.CLOCK,
        note=f"{clock.get_kind_display()} submitted "
        f"{format_at(submitted_at, clock.event.participant.site)} "
        f"({clock.state_label}) {clock.reference}".strip(),
    )
    return clock
