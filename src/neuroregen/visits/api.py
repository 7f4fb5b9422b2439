"""Visits over the API: the schedule instances, their dates and status; record a visit done."""

import datetime as dt
from typing import Any

from ninja import Query, Router, Schema
from ninja.pagination import paginate

from neuroregen.core import access
from neuroregen.core.api_base.pagination import BoundedPagination
from neuroregen.core.api_base.schemas import READ_ERRORS, WRITE_ERRORS
from neuroregen.core.http import AuthenticatedHttpRequest
from neuroregen.core.research_dates import calendar_resolver, study_day_of
from neuroregen.core.roles import Capability
from neuroregen.visits import selectors, services
from neuroregen.visits.models import Visit

router = Router(tags=["visits"])


class VisitOut(Schema):
    id: int
    study_code: str
    protocol: str
    code: str
    phase: str
    target_day: int
    target_date: dt.date | None
    window_open: dt.date | None
    window_close: dt.date | None
    scheduled_for: dt.date | None
    provisional: bool
    done_on: dt.date | None
    done_study_day: int | None
    not_done_reason: str
    status: str
    row_version: int

    @staticmethod
    def resolve_study_code(obj: Any) -> str:
        return obj.participant.study_code

    @staticmethod
    def resolve_protocol(obj: Any) -> str:
        return f"{obj.assignment.protocol.code} {obj.assignment.protocol.version}"

    @staticmethod
    def resolve_status(obj: Any) -> str:
        return str(obj.status)

    resolve_target_date = calendar_resolver("target_date")

    resolve_window_open = calendar_resolver("window_open")

    resolve_window_close = calendar_resolver("window_close")

    resolve_scheduled_for = calendar_resolver("scheduled_for")

    resolve_done_on = calendar_resolver("done_on")

    @staticmethod
    def resolve_done_study_day(obj: Any) -> int | None:
        return study_day_of(obj.participant, obj.done_on)


class VisitFilters(Schema):
    study_code: str = ""
    phase: str = ""
    code: str = ""


class DoneIn(Schema):
    done_on: dt.date
    reason: str = ""


@router.get("/", response={200: list[VisitOut], **READ_ERRORS})
@paginate(BoundedPagination)
@access.staff()
def list_visits(request: AuthenticatedHttpRequest, filters: Query[VisitFilters]) -> Any:
    qs = (
        Visit.objects.for_user(request.user)
        .filter(cancelled_on__isnull=True)
        .select_related("participant__site", "assignment__protocol")
        .order_by("participant__study_code", "target_day", "code")
    )
    if filters.study_code:
        qs = qs.filter(participant__study_code=filters.study_code)
    if filters.phase:
        qs = qs.filter(phase=filters.phase)
    if filters.code:
        qs = qs.filter(code=filters.code)
    return qs


@router.get("/{visit_id}", response={200: VisitOut, **READ_ERRORS})
@access.staff()
def get_visit(request: AuthenticatedHttpRequest, visit_id: int) -> Any:
    return selectors.visit_get(user=request.user, pk=visit_id)


@router.post("/{visit_id}/done", response={200: VisitOut, **WRITE_ERRORS})
@access.staff(Capability.MANAGE_PARTICIPANT)
def record_done(request: AuthenticatedHttpRequest, visit_id: int, payload: DoneIn) -> Any:
    visit = selectors.visit_get(user=request.user, pk=visit_id)
    return services.visit_record_done(
        user=request.user, visit=visit, done_on=payload.done_on, reason=payload.reason
    )
