"""Adverse events and reporting clocks over the API; writes go through the safety services.

Reporting an event and appending a follow-up use the same services as the pages, so the same
rules, the same error codes and the same audit trail apply. Editing, sign-off (an electronic
signature) and clock submission stay in the pages.
"""

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import AwareDatetime

from neuroregen.core import access
from neuroregen.core.api_base.access import require_staff_view
from neuroregen.core.api_base.pagination import BoundedPagination
from neuroregen.core.api_base.schemas import READ_ERRORS, WRITE_ERRORS
from neuroregen.core.http import AuthenticatedHttpRequest
from neuroregen.core.research_dates import calendar_resolver
from neuroregen.core.roles import Capability
from neuroregen.participants import selectors as participant_selectors
from neuroregen.safety import choices as c
from neuroregen.safety import selectors, services

router = Router(tags=["safety"])


class FollowUpOut(Schema):
    id: int
    kind: str
    note: str
    changes: dict[str, Any]
    recorded_at: dt.datetime | None

    resolve_recorded_at = calendar_resolver("recorded_at", participant="event.participant")


class ClockOut(Schema):
    id: int
    event_code: str
    study_code: str
    site: str
    kind: str
    started_at: dt.datetime | None
    due_at: dt.datetime | None
    required: bool
    submitted_at: dt.datetime | None
    reference: str
    state: str

    @staticmethod
    def resolve_event_code(obj: Any) -> str:
        return obj.event.code

    @staticmethod
    def resolve_study_code(obj: Any) -> str:
        return obj.event.participant.study_code

    @staticmethod
    def resolve_site(obj: Any) -> str:
        return obj.event.participant.site.code

    @staticmethod
    def resolve_state(obj: Any) -> str:
        return obj.state().value

    resolve_started_at = calendar_resolver("started_at", participant="event.participant")

    resolve_due_at = calendar_resolver("due_at", participant="event.participant")

    resolve_submitted_at = calendar_resolver("submitted_at", participant="event.participant")


class ClockRowOut(ClockOut):
    hours_left: float


class AdverseEventOut(Schema):
    code: str
    study_code: str
    site: str
    term: str
    coded_term: str
    coded_term_code: str
    coding_dictionary: str
    soc: str
    description: str
    onset_date: dt.date | None
    resolution_date: dt.date | None
    grade: int
    is_serious: bool
    criteria: list[str]
    relatedness_product: str
    relatedness_procedure: str
    expectedness: str
    action_taken: str
    outcome: str
    is_open: bool
    aware_at: dt.datetime | None
    aesi_category: str
    aesi_source: str
    # Context at onset, computed by the services when the event was recorded.
    administration_code: str
    administered_at: dt.datetime | None
    lot_code: str
    product_type: str
    route: str
    dose_per_kg: Decimal | None
    dose_unit: str
    days_since_administration: int | None
    study_day: int | None
    phase: str
    protocol_label: str
    arm_code: str
    row_version: int
    synthetic: bool

    @staticmethod
    def resolve_study_code(obj: Any) -> str:
        return obj.participant.study_code

    @staticmethod
    def resolve_site(obj: Any) -> str:
        return obj.participant.site.code

    @staticmethod
    def resolve_criteria(obj: Any) -> list[str]:
        return [str(code) for code in obj.criteria]

    @staticmethod
    def resolve_is_open(obj: Any) -> bool:
        return obj.outcome not in c.Outcome.resolved()

    @staticmethod
    def resolve_synthetic(obj: Any) -> bool:
        return obj.participant.site.is_synthetic

    resolve_onset_date = calendar_resolver("onset_date")

    resolve_resolution_date = calendar_resolver("resolution_date")

    resolve_aware_at = calendar_resolver("aware_at")

    resolve_administered_at = calendar_resolver("administered_at")


class AdverseEventDetailOut(AdverseEventOut):
    follow_ups: list[FollowUpOut]
    clocks: list[ClockOut]
    signed_off: bool

    @staticmethod
    def resolve_follow_ups(obj: Any) -> list[Any]:
        return list(obj.follow_ups.all())

    @staticmethod
    def resolve_clocks(obj: Any) -> list[Any]:
        return list(obj.clocks.select_related("event__participant__site"))

    @staticmethod
    def resolve_signed_off(obj: Any) -> bool:
        return services.sign_off_current(obj) is not None


class AdverseEventFilters(Schema):
    study_code: str = ""
    site: str = ""
    serious: bool | None = None
    min_grade: int | None = Field(None, ge=1, le=5, description="Events of this grade or worse.")
    status: Literal["", "open", "closed"] = Field(
        "", description="open: outcome not resolved (recovering, not recovered, unknown)."
    )
    aesi: bool | None = None
    q: str = ""


class AdverseEventIn(Schema):
    study_code: str
    term: str = Field(max_length=200)
    coded_term: str = Field("", max_length=200)
    coded_term_code: str = Field("", max_length=20)
    coding_dictionary: str = Field("", max_length=40)
    soc: str = c.SystemOrganClass.OTHER.value
    description: str = Field("", max_length=10000)
    onset_date: dt.date
    resolution_date: dt.date | None = None
    grade: int
    serious: bool | None = Field(
        None, description="What the reporter says; it must agree with the criteria ticked."
    )
    serious_death: bool = False
    serious_life_threatening: bool = False
    serious_hospitalisation: bool = False
    serious_disability: bool = False
    serious_congenital_anomaly: bool = False
    serious_important_medical_event: bool = False
    relatedness_product: str
    relatedness_procedure: str
    expectedness: str
    action_taken: str = c.ActionTaken.NONE.value
    outcome: str
    aware_at: AwareDatetime | None = Field(
        None, description="When the site became aware (with its offset); starts the clocks."
    )
    aesi_category: str = Field(
        "", description="Empty: the special-interest catalogue decides; a category sets it."
    )


class FollowUpIn(Schema):
    note: str = Field(max_length=10000)


class ClockFilters(Schema):
    site: str = ""
    include_closed: bool = False


def _event(user: Any, code: str) -> Any:
    return selectors.adverse_event_get(user=user, code=code)


@router.get("/events", response={200: list[AdverseEventOut], **READ_ERRORS})
@paginate(BoundedPagination)
@access.staff()
def list_events(request: AuthenticatedHttpRequest, filters: Query[AdverseEventFilters]) -> Any:
    require_staff_view(request.user)
    flag = {True: "yes", False: "no", None: ""}
    qs = selectors.adverse_event_list(
        user=request.user,
        site=filters.site,
        serious=flag[filters.serious],
        grade=str(filters.min_grade or ""),
        aesi=flag[filters.aesi],
        search=filters.q,
    )
    if filters.aesi is False:
        qs = qs.filter(aesi_category="")
    if filters.study_code:
        qs = qs.filter(participant__study_code=filters.study_code)
    resolved = sorted(c.Outcome.resolved())
    if filters.status == "open":
        qs = qs.exclude(outcome__in=resolved)
    elif filters.status == "closed":
        qs = qs.filter(outcome__in=resolved)
    return qs


@router.get("/events/{code}", response={200: AdverseEventDetailOut, **READ_ERRORS})
@access.staff()
def get_event(request: AuthenticatedHttpRequest, code: str) -> Any:
    require_staff_view(request.user)
    return _event(request.user, code)


@router.post("/events", response={201: AdverseEventDetailOut, **WRITE_ERRORS})
@access.staff(Capability.REPORT_SAFETY)
def report_event(request: AuthenticatedHttpRequest, payload: AdverseEventIn) -> Any:
    require_staff_view(request.user)
    participant = participant_selectors.participant_get(
        user=request.user, study_code=payload.study_code
    )
    data = payload.dict(exclude={"study_code", "serious", "aware_at"})
    event = services.adverse_event_record(
        user=request.user,
        participant=participant,
        data=data,
        serious=payload.serious,
        aware_at=payload.aware_at,
    )
    return Status(201, _event(request.user, event.code))


@router.post("/events/{code}/follow-ups", response={201: FollowUpOut, **WRITE_ERRORS})
@access.staff(Capability.REPORT_SAFETY)
def add_follow_up(request: AuthenticatedHttpRequest, code: str, payload: FollowUpIn) -> Any:
    require_staff_view(request.user)
    event = _event(request.user, code)
    return Status(
        201, services.adverse_event_follow_up(user=request.user, event=event, note=payload.note)
    )


@router.get("/clocks", response={200: list[ClockRowOut], **READ_ERRORS})
@paginate(BoundedPagination)
@access.staff()
def list_clocks(request: AuthenticatedHttpRequest, filters: Query[ClockFilters]) -> Any:
    """Reporting clocks of serious events: open ones (overdue, due) first, most urgent first."""
    require_staff_view(request.user)
    rows = selectors.clock_rows(
        user=request.user, include_closed=filters.include_closed, site=filters.site
    )
    return [_clock_row(row) for row in rows]


def _clock_row(row: Any) -> Any:
    row.clock.hours_left = row.hours_left
    return row.clock
