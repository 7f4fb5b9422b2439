"""Participants over the API: pseudonymous research data; identity goes in, never comes out."""

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from neuroregen.core import access
from neuroregen.core.api_base.pagination import BoundedPagination
from neuroregen.core.api_base.schemas import READ_ERRORS, WRITE_ERRORS
from neuroregen.core.http import AuthenticatedHttpRequest
from neuroregen.core.research_dates import day_zero_of, sees_calendar_dates, study_day
from neuroregen.core.roles import Capability
from neuroregen.participants import selectors, services

router = Router(tags=["participants"])


class ParticipantOut(Schema):
    study_code: str
    site: str
    status: str
    # Calendar dates are null for readers who see study days instead (statisticians).
    screened_on: dt.date | None
    enrolled_on: dt.date | None
    screened_study_day: int | None
    enrolled_study_day: int | None
    age_months_at_screening: int
    sex: str
    country: str
    preferred_language: str
    asd_diagnosis_date: dt.date | None
    dsm5_severity: int
    diagnostic_instrument: str
    genetic_finding: str
    syndrome: str
    genetic_details: str
    therapy_hours_per_week: Decimal
    row_version: int
    synthetic: bool

    @staticmethod
    def resolve_site(obj: Any) -> str:
        return obj.site.code

    @staticmethod
    def resolve_screened_on(obj: Any, context: dict[str, Any]) -> dt.date | None:
        return _calendar(obj, context, obj.screened_on)

    @staticmethod
    def resolve_enrolled_on(obj: Any, context: dict[str, Any]) -> dt.date | None:
        return _calendar(obj, context, obj.enrolled_on)

    @staticmethod
    def resolve_asd_diagnosis_date(obj: Any, context: dict[str, Any]) -> dt.date | None:
        return _calendar(obj, context, obj.asd_diagnosis_date)

    @staticmethod
    def resolve_screened_study_day(obj: Any) -> int | None:
        return study_day(_day_zero(obj), obj.screened_on)

    @staticmethod
    def resolve_enrolled_study_day(obj: Any) -> int | None:
        return study_day(_day_zero(obj), obj.enrolled_on)

    @staticmethod
    def resolve_synthetic(obj: Any) -> bool:
        return obj.site.is_synthetic


def _day_zero(participant: Any) -> dt.date | None:
    if not hasattr(participant, "_nr_day_zero"):
        participant._nr_day_zero = day_zero_of(participant)
    return participant._nr_day_zero


def _calendar(participant: Any, context: dict[str, Any], value: dt.date | None) -> dt.date | None:
    request = (context or {}).get("request")
    user = getattr(request, "user", None)
    return value if sees_calendar_dates(user, participant.site_id) else None


class ParticipantFilters(Schema):
    status: str = ""
    site: str = ""
    severity: str = ""
    q: str = ""


class IdentityIn(Schema):
    given_name: str
    family_name: str
    date_of_birth: dt.date
    guardian_name: str
    guardian_relationship: str
    guardian_phone: str = ""
    guardian_email: str = ""


class ResearchIn(Schema):
    sex: str
    country: str
    preferred_language: str = "en"
    asd_diagnosis_date: dt.date | None = None
    dsm5_severity: int
    diagnostic_instrument: str
    genetic_finding: str = "not_tested"
    syndrome: str = ""
    genetic_details: str = ""
    therapy_hours_per_week: Decimal = Decimal(0)


class ScreenIn(Schema):
    site: str
    screened_on: dt.date | None = None
    identity: IdentityIn
    research: ResearchIn


class ParticipantPatch(Schema):
    changes: dict[str, Any]
    reason: str
    row_version: int


class ConsentIn(Schema):
    document_id: int
    signed_on: dt.date
    signed_by_relationship: str


class ConsentOut(Schema):
    id: int
    document_id: int
    kind: str
    version: str
    signed_on: dt.date
    signed_by_relationship: str

    @staticmethod
    def resolve_kind(obj: Any) -> str:
        return obj.document.kind

    @staticmethod
    def resolve_version(obj: Any) -> str:
        return obj.document.version


class WithdrawalIn(Schema):
    scope: str
    effective_on: dt.date
    reason: str = ""


@router.get("/", response={200: list[ParticipantOut], **READ_ERRORS})
@paginate(BoundedPagination)
@access.staff()
def list_participants(request: AuthenticatedHttpRequest, filters: Query[ParticipantFilters]) -> Any:
    return selectors.participant_list(
        user=request.user,
        search=filters.q,
        status=filters.status,
        site=filters.site,
        severity=filters.severity,
    )


@router.get("/{study_code}", response={200: ParticipantOut, **READ_ERRORS})
@access.staff()
def get_participant(request: AuthenticatedHttpRequest, study_code: str) -> Any:
    return selectors.participant_get(user=request.user, study_code=study_code)


@router.post("/", response={201: ParticipantOut, **WRITE_ERRORS})
@access.staff(Capability.MANAGE_PARTICIPANT)
def screen_participant(request: AuthenticatedHttpRequest, payload: ScreenIn) -> Any:
    site = selectors.visible_sites(user=request.user).filter(code=payload.site).first()
    participant = services.participant_screen(
        user=request.user,
        site=site.pk if site else -1,
        identity=payload.identity.dict(),
        research=payload.research.dict(),
        screened_on=payload.screened_on,
    )
    return Status(201, participant)


@router.patch("/{study_code}", response={200: ParticipantOut, **WRITE_ERRORS})
@access.staff(Capability.MANAGE_PARTICIPANT)
def update_participant(
    request: AuthenticatedHttpRequest, study_code: str, payload: ParticipantPatch
) -> Any:
    participant = selectors.participant_get(user=request.user, study_code=study_code)
    return services.participant_update(
        user=request.user,
        participant=participant,
        changes=payload.changes,
        reason=payload.reason,
        expected_version=payload.row_version,
    )


@router.get("/{study_code}/consents", response={200: list[ConsentOut], **READ_ERRORS})
@access.staff()
def list_consents(request: AuthenticatedHttpRequest, study_code: str) -> Any:
    participant = selectors.participant_get(user=request.user, study_code=study_code)
    return participant.consents.select_related("document")


@router.post("/{study_code}/consents", response={201: ConsentOut, **WRITE_ERRORS})
@access.staff(Capability.RECORD_CONSENT)
def record_consent(request: AuthenticatedHttpRequest, study_code: str, payload: ConsentIn) -> Any:
    participant = selectors.participant_get(user=request.user, study_code=study_code)
    consent = services.consent_record(
        user=request.user,
        participant=participant,
        document=payload.document_id,
        signed_on=payload.signed_on,
        signed_by_relationship=payload.signed_by_relationship,
    )
    return Status(201, consent)


@router.post("/{study_code}/withdrawals", response={201: dict, **WRITE_ERRORS})
@access.staff(Capability.RECORD_CONSENT)
def withdraw(request: AuthenticatedHttpRequest, study_code: str, payload: WithdrawalIn) -> Any:
    participant = selectors.participant_get(user=request.user, study_code=study_code)
    withdrawal = services.consent_withdraw(
        user=request.user,
        participant=participant,
        scope=payload.scope,
        effective_on=payload.effective_on,
        reason=payload.reason,
    )
    return Status(
        201,
        {
            "id": withdrawal.pk,
            "scope": withdrawal.scope,
            "effective_on": withdrawal.effective_on.isoformat(),
        },
    )


@router.post("/{study_code}/enrol", response={200: ParticipantOut, **WRITE_ERRORS})
@access.staff(Capability.MANAGE_PARTICIPANT)
def enrol(request: AuthenticatedHttpRequest, study_code: str) -> Any:
    participant = selectors.participant_get(user=request.user, study_code=study_code)
    return services.participant_enrol(user=request.user, participant=participant)
