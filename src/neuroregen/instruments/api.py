"""Instrument definitions and responses over the API; saving goes through ``response_save``."""

import datetime as dt
from typing import Any

from ninja import Query, Router, Schema
from ninja.pagination import paginate

from neuroregen.core import access
from neuroregen.core.api_base.pagination import BoundedPagination
from neuroregen.core.api_base.schemas import READ_ERRORS, WRITE_ERRORS, ErrorOut
from neuroregen.core.http import AuthenticatedHttpRequest
from neuroregen.core.research_dates import calendar_resolver, study_day_of
from neuroregen.core.roles import Capability
from neuroregen.instruments import selectors, services
from neuroregen.instruments.models import Response

router = Router(tags=["instruments"])


class InstrumentOut(Schema):
    code: str
    title: str
    version: str
    licence: str
    parent_completable: bool


class ResponseOut(Schema):
    """``status``: in_progress (REDCap 0 Incomplete), complete (1 Unverified: every required
    item answered or coded), verified (2 Complete), not_done."""

    id: int
    study_code: str
    visit_id: int
    visit: str
    instrument: str
    status: str
    not_done_reason: str
    respondent: str
    language: str
    answered_on: dt.date | None
    answered_study_day: int | None
    source: str
    answers: dict[str, Any]
    missing: dict[str, str]
    scores: dict[str, Any]
    row_version: int

    @staticmethod
    def resolve_study_code(obj: Any) -> str:
        return obj.participant.study_code

    @staticmethod
    def resolve_visit(obj: Any) -> str:
        return obj.visit.code

    @staticmethod
    def resolve_instrument(obj: Any) -> str:
        return obj.instrument.code

    resolve_answered_on = calendar_resolver("answered_on")

    @staticmethod
    def resolve_answered_study_day(obj: Any) -> int | None:
        return study_day_of(obj.participant, obj.answered_on)


class ResponseFilters(Schema):
    study_code: str = ""
    instrument: str = ""
    status: str = ""


class ResponseIn(Schema):
    answers: dict[str, Any]
    missing: dict[str, str] = {}
    complete: bool = False
    verify: bool = False  # mark verified (investigators, administrators): needs a complete form
    answered_on: dt.date | None = None
    row_version: int
    reason: str = ""


class AnswersErrorOut(ErrorOut):
    """A refused save: ``errors`` maps each field to its problem; ``missing_items`` lists the
    required items a complete or verified form still lacks (code ``form_incomplete``)."""

    errors: dict[str, str] | None = None
    missing_items: list[str] | None = None


@router.get("/instruments", response={200: list[InstrumentOut], **READ_ERRORS})
@access.staff()
def list_instruments(request: AuthenticatedHttpRequest) -> Any:
    return list(selectors.instrument_list())


@router.get("/responses", response={200: list[ResponseOut], **READ_ERRORS})
@paginate(BoundedPagination)
@access.staff()
def list_responses(request: AuthenticatedHttpRequest, filters: Query[ResponseFilters]) -> Any:
    qs = (
        Response.objects.for_user(request.user)
        .select_related("participant", "visit", "instrument")
        .order_by("participant__study_code", "visit__target_day", "instrument__code")
    )
    if filters.study_code:
        qs = qs.filter(participant__study_code=filters.study_code)
    if filters.instrument:
        qs = qs.filter(instrument__code=filters.instrument)
    if filters.status:
        qs = qs.filter(status=filters.status)
    return qs


@router.get("/responses/{response_id}", response={200: ResponseOut, **READ_ERRORS})
@access.staff()
def get_response(request: AuthenticatedHttpRequest, response_id: int) -> Any:
    return selectors.response_get(user=request.user, pk=response_id)


@router.put(
    "/responses/{response_id}",
    response={200: ResponseOut, **WRITE_ERRORS, 422: AnswersErrorOut},
)
@access.staff(Capability.MANAGE_PARTICIPANT)
def save_response(request: AuthenticatedHttpRequest, response_id: int, payload: ResponseIn) -> Any:
    response = selectors.response_get(user=request.user, pk=response_id)
    return services.response_save(
        user=request.user,
        response=response,
        answers=payload.answers,
        missing=payload.missing,
        complete=payload.complete,
        verify=payload.verify,
        answered_on=payload.answered_on,
        expected_version=payload.row_version,
        reason=payload.reason,
    )
