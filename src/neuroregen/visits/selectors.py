"""Reads of the visits app. Every site-scoped read starts from ``Visit.objects.for_user``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

from neuroregen.core.permissions import sites_with
from neuroregen.core.roles import Capability
from neuroregen.protocols import timeline
from neuroregen.protocols.visit_choices import PHASE_ORDER, Phase, VisitStatus
from neuroregen.visits.models import Visit, VisitDefinition


def expected_forms(visit: Visit | VisitDefinition) -> list[str]:
    """Codes of what is to be captured at the visit: instrument codes, then biomarker analyte
    codes (the visit × form matrix). Safety checks are listed by ``expected_safety_checks``.

    Works for a participant's visit (its own schedule version) or a schedule definition.
    """
    definition = visit.definition if isinstance(visit, Visit) else visit
    return [*definition.instruments, *definition.biomarkers]


def expected_instruments(visit: Visit | VisitDefinition) -> list[str]:
    definition = visit.definition if isinstance(visit, Visit) else visit
    return list(definition.instruments)


def expected_biomarkers(visit: Visit | VisitDefinition) -> list[str]:
    definition = visit.definition if isinstance(visit, Visit) else visit
    return list(definition.biomarkers)


def expected_safety_checks(visit: Visit | VisitDefinition) -> list[str]:
    definition = visit.definition if isinstance(visit, Visit) else visit
    return list(definition.safety_checks)


def visits_for_participant(
    *, user: Any, participant: Any, include_cancelled: bool = False
) -> QuerySet[Visit]:
    qs = (
        Visit.objects.for_user(user)
        .filter(participant=participant)
        .select_related("definition", "assignment__protocol", "participant__site")
    )
    if not include_cancelled:
        qs = qs.filter(cancelled_on__isnull=True)
    return qs.order_by("target_date", "code")


@dataclass
class PhaseGroup:
    phase: str
    label: str
    visits: list[tuple[Visit, VisitStatus]] = field(default_factory=list)
    is_current: bool = False


@dataclass
class Timeline:
    """A participant's visits grouped by phase, with today's status and study day."""

    today: dt.date
    day_zero: dt.date | None
    day_zero_planned: bool
    study_day: int | None
    current_phase: str | None
    groups: list[PhaseGroup]
    cancelled: list[Visit]


def participant_timeline(*, user: Any, participant: Any, assignment: Any) -> Timeline:
    """Visits of the participant's assignment in force, grouped by phase (all phases shown)."""
    today = timeline.today_at(participant.site.time_zone)
    visits = list(
        visits_for_participant(user=user, participant=participant, include_cancelled=True)
    )
    day_zero = assignment.anchor_day_zero if assignment else None
    day = timeline.study_day(day_zero, today) if day_zero else None
    current = (
        timeline.phase_of(day, assignment.protocol.boundaries()).value
        if day is not None and assignment.day_zero
        else None
    )
    groups = {p: PhaseGroup(p, str(Phase(p).label), is_current=(p == current)) for p in PHASE_ORDER}
    cancelled = []
    for visit in visits:
        if visit.cancelled_on:
            cancelled.append(visit)
            continue
        groups[visit.phase].visits.append((visit, visit.status_on(today)))
    return Timeline(
        today=today,
        day_zero=day_zero,
        day_zero_planned=bool(assignment and assignment.day_zero is None and day_zero),
        study_day=day,
        current_phase=current,
        groups=[
            g
            for g in groups.values()
            if g.visits or g.phase in (Phase.EARLY, Phase.MID, Phase.LATE)
        ],
        cancelled=cancelled,
    )


def _open_visits(user: Any) -> QuerySet[Visit]:
    return (
        Visit.objects.for_user(user)
        .filter(done_on__isnull=True, not_done_reason="", cancelled_on__isnull=True)
        .select_related("participant__site", "definition")
    )


def overdue_visits(*, user: Any, site: str = "") -> list[tuple[Visit, int]]:
    """Open visits whose window has closed (per each site's own today), with days overdue."""
    rows = []
    qs = _open_visits(user).filter(window_close__lt=timeline.today_at("Pacific/Kiritimati"))
    if site:
        qs = qs.filter(participant__site__code=site)
    for visit in qs.order_by("window_close", "participant__study_code"):
        today = timeline.today_at(visit.participant.site.time_zone)
        if visit.window_close < today:
            rows.append((visit, (today - visit.window_close).days))
    return rows


@dataclass
class CalendarDay:
    day: dt.date
    visits: list[tuple[Visit, VisitStatus]]


def site_calendar(
    *, user: Any, start: dt.date, days: int = 28, site: str = ""
) -> list[CalendarDay]:
    """Open visits by appointment date (else target date) over ``days`` days from ``start``.

    A visit whose window is open but whose appointment lies outside the period is shown on the
    period's first day so nothing due is hidden.
    """
    end = start + dt.timedelta(days=days - 1)
    qs = _open_visits(user).filter(
        Q(scheduled_for__range=(start, end))
        | Q(target_date__range=(start, end))
        | Q(window_open__lte=end, window_close__gte=start)
    )
    if site:
        qs = qs.filter(participant__site__code=site)
    by_day: dict[dt.date, list[tuple[Visit, VisitStatus]]] = {}
    for visit in qs.order_by("participant__study_code"):
        when = visit.scheduled_for or visit.target_date
        when = min(max(when, start), end)
        today = timeline.today_at(visit.participant.site.time_zone)
        by_day.setdefault(when, []).append((visit, visit.status_on(today)))
    return [CalendarDay(d, by_day[d]) for d in sorted(by_day)]


def visit_get(*, user: Any, pk: int) -> Visit:
    from neuroregen.core.errors import NotFound

    found = (
        Visit.objects.for_user(user)
        .select_related("participant__site", "definition", "assignment__protocol")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def calendar_sites(*, user: Any) -> Any:
    return sites_with(user, Capability.VIEW)
