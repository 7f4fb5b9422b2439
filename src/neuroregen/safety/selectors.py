"""Reads of the safety app. Every read starts from ``for_user``.

This module is the safety app's public read path. The DSMB tables and the stopping-rule
states are computed in ``safety.dsmb`` and re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from neuroregen.core.errors import NotFound
from neuroregen.core.models import User
from neuroregen.safety import choices as c
from neuroregen.safety.adverse_events import sign_off_current
from neuroregen.safety.dsmb import (
    EVENT_FIELDS,
    DsmbReport,
    GroupTable,
    RuleState,
    can_view_dsmb,
    dose_band,
    dsmb_report,
    exposure_stretches,
    qualifies,
    stopping_rule_states,
    treatment_emergent_events,
)
from neuroregen.safety.models import AdverseEvent, ReportingClock, SafetyReviewTask

# --- adverse events ------------------------------------------------------------------------


def adverse_event_list(
    *,
    user: User,
    site: str = "",
    serious: str = "",
    grade: str = "",
    aesi: str = "",
    search: str = "",
    participant: Any = None,
) -> QuerySet[AdverseEvent]:
    qs = AdverseEvent.objects.for_user(user).select_related("participant__site")
    if site:
        qs = qs.filter(participant__site__code=site)
    if serious in ("yes", "no"):
        qs = qs.filter(is_serious=serious == "yes")
    if grade:
        qs = qs.filter(grade__gte=int(grade))
    if aesi == "yes":
        qs = qs.exclude(aesi_category="")
    if search:
        term = search.strip()
        qs = qs.filter(
            Q(code__icontains=term)
            | Q(term__icontains=term)
            | Q(participant__study_code__icontains=term)
        )
    if participant is not None:
        qs = qs.filter(participant=participant)
    return qs.order_by("-onset_date", "-pk")


def adverse_event_get(*, user: User, code: str) -> AdverseEvent:
    """One event, or :class:`NotFound` — also when it exists out of the user's sight."""
    found = (
        AdverseEvent.objects.for_user(user)
        .select_related("participant__site", "reported_by")
        .filter(code=code)
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def clock_get(*, user: User, pk: int) -> ReportingClock:
    found = (
        ReportingClock.objects.for_user(user)
        .select_related("event__participant__site")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def review_task_get(*, user: User, pk: int) -> SafetyReviewTask:
    found = (
        SafetyReviewTask.objects.for_user(user)
        .select_related("participant__site", "rule")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def review_tasks(*, user: User, status: str = c.ReviewStatus.OPEN) -> QuerySet[SafetyReviewTask]:
    qs = SafetyReviewTask.objects.for_user(user).select_related("participant__site", "rule")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("status", "-observed_at")


# --- clocks --------------------------------------------------------------------------------


@dataclass
class ClockRow:
    clock: ReportingClock
    state: c.ClockState
    hours_left: float


def clock_rows(*, user: User, include_closed: bool = False, site: str = "") -> list[ClockRow]:
    """Reporting clocks the user may see; open ones (due, overdue) first, most urgent first."""
    now = timezone.now()
    qs = ReportingClock.objects.for_user(user).select_related("event__participant__site")
    if site:
        qs = qs.filter(event__participant__site__code=site)
    if not include_closed:
        qs = qs.filter(submitted_at__isnull=True, required=True)
    rows = [
        ClockRow(clock, clock.state(now), (clock.due_at - now).total_seconds() / 3600)
        for clock in qs.order_by("due_at", "pk")
    ]
    order = {
        c.ClockState.OVERDUE: 0,
        c.ClockState.DUE: 1,
        c.ClockState.SUBMITTED_LATE: 2,
        c.ClockState.SUBMITTED: 3,
        c.ClockState.NOT_REQUIRED: 4,
    }
    return sorted(rows, key=lambda r: (order[r.state], r.clock.due_at))


def clock_summary(rows: list[ClockRow]) -> dict[str, int]:
    summary = {state.value: 0 for state in c.ClockState}
    for row in rows:
        summary[row.state.value] += 1
    return summary


def events_awaiting_sign_off(*, user: User) -> list[AdverseEvent]:
    """Serious or grade ≥ 3 events whose current assessment has no standing sign-off."""
    events = (
        AdverseEvent.objects.for_user(user)
        .filter(Q(is_serious=True) | Q(grade__gte=3))
        .select_related("participant__site")
        .prefetch_related("sign_offs")
    )
    return [e for e in events if sign_off_current(e) is None]


def site_alerts(*, user: User) -> list[dict[str, Any]]:
    """Per site the user may see: overdue and due reporting clocks, events awaiting sign-off,
    open biomarker reviews. Only sites with something to say are returned."""
    now = timezone.now()
    sites: dict[str, dict[str, Any]] = {}

    def entry(code: str) -> dict[str, Any]:
        return sites.setdefault(
            code, {"site": code, "overdue": 0, "due": 0, "unsigned": 0, "reviews": 0}
        )

    for clock in (
        ReportingClock.objects.for_user(user)
        .filter(submitted_at__isnull=True, required=True)
        .select_related("event__participant__site")
    ):
        key = "overdue" if clock.due_at < now else "due"
        entry(clock.event.participant.site.code)[key] += 1
    for event in events_awaiting_sign_off(user=user):
        entry(event.participant.site.code)["unsigned"] += 1
    counts = (
        SafetyReviewTask.objects.for_user(user)
        .filter(status=c.ReviewStatus.OPEN)
        .values("participant__site__code")
        .annotate(n=Count("pk"))
    )
    for row in counts:
        entry(row["participant__site__code"])["reviews"] += row["n"]
    return [sites[k] for k in sorted(sites)]


__all__ = [
    "EVENT_FIELDS",
    "ClockRow",
    "DsmbReport",
    "GroupTable",
    "RuleState",
    "adverse_event_get",
    "adverse_event_list",
    "can_view_dsmb",
    "clock_get",
    "clock_rows",
    "clock_summary",
    "dose_band",
    "dsmb_report",
    "events_awaiting_sign_off",
    "exposure_stretches",
    "qualifies",
    "review_task_get",
    "review_tasks",
    "site_alerts",
    "stopping_rule_states",
    "treatment_emergent_events",
]
