"""The visits app's answers to ``protocols.signals`` (connected in ``VisitsConfig.ready()``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.dispatch import receiver

from neuroregen.core.audit import stamp
from neuroregen.protocols import signals
from neuroregen.protocols.models import Assignment, Protocol
from neuroregen.visits import services
from neuroregen.visits.models import VisitDefinition


@receiver(signals.schedule_replaced, dispatch_uid="visits.schedule_replaced")
def replace_visit_definitions(
    *, protocol: Protocol, schedule: list[dict[str, Any]], user: Any, reason: str, **_: Any
) -> None:
    for old in protocol.visit_definitions.all():
        stamp(old, user=user, reason=reason)
        old.delete()
    for visit in schedule:
        row = VisitDefinition(
            protocol=protocol,
            code=visit["code"],
            name=visit.get("name") or visit["code"],
            phase=visit["phase"],
            target_day=visit["target_day"],
            window_before=visit.get("window_before", 0),
            window_after=visit.get("window_after", 0),
            optional=bool(visit.get("optional", False)),
            arm_codes=visit.get("arm_codes") or [],
            instruments=visit.get("instruments") or [],
            biomarkers=visit.get("biomarkers") or [],
            safety_checks=visit.get("safety_checks") or [],
        )
        stamp(row, user=user, reason=reason)
        row.save()


@receiver(signals.assignment_confirmed, dispatch_uid="visits.assignment_confirmed")
def schedule_confirmed_assignment(
    *, assignment: Assignment, user: Any, reason: str, **_: Any
) -> None:
    services.schedule_generate(user=user, assignment=assignment, reason=reason)


@receiver(signals.amendment_in_force, dispatch_uid="visits.amendment_in_force")
def move_to_amendment(
    *,
    assignment: Assignment,
    protocol: Protocol,
    effective_on: dt.date,
    user: Any,
    reason: str,
    **_: Any,
) -> None:
    services.schedule_apply_amendment(
        user=user,
        assignment=assignment,
        protocol=protocol,
        effective_on=effective_on,
        reason=reason,
    )
