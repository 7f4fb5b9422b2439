"""Biomarker measurements over the API; recording goes through ``measurement_record``."""

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from neuroregen.biomarkers import selectors, services
from neuroregen.core import access
from neuroregen.core.api_base.pagination import BoundedPagination
from neuroregen.core.api_base.schemas import READ_ERRORS, WRITE_ERRORS
from neuroregen.core.http import AuthenticatedHttpRequest
from neuroregen.core.research_dates import calendar_resolver, study_day_of
from neuroregen.core.roles import Capability
from neuroregen.participants import selectors as participant_selectors
from neuroregen.visits import selectors as visit_selectors

router = Router(tags=["biomarkers"])


class MeasurementOut(Schema):
    id: int
    study_code: str
    visit_id: int | None
    analyte: str
    region: str
    value: Decimal | None
    unit: str
    reported_value: str
    reported_unit: str
    matrix: str
    collected_at: dt.datetime | None
    collected_study_day: int | None
    assay: str
    lloq: Decimal | None
    uloq: Decimal | None
    limit_flag: str
    cv_percent: Decimal | None
    source: str
    row_version: int

    @staticmethod
    def resolve_study_code(obj: Any) -> str:
        return obj.participant.study_code

    resolve_collected_at = calendar_resolver("collected_at")

    @staticmethod
    def resolve_collected_study_day(obj: Any) -> int | None:
        return study_day_of(obj.participant, obj.collected_at)


class MeasurementFilters(Schema):
    study_code: str = ""
    analyte: str = ""
    site: str = ""


class MeasurementIn(Schema):
    study_code: str
    visit_id: int | None = None
    analyte: str
    value: str
    unit: str
    matrix: str = ""
    region: str = ""
    collected_at: dt.datetime
    assay: str = ""
    kit: str = ""
    lot: str = ""
    lloq: str = ""
    uloq: str = ""
    cv_percent: str = ""


@router.get("/", response={200: list[MeasurementOut], **READ_ERRORS})
@paginate(BoundedPagination)
@access.staff()
def list_measurements(request: AuthenticatedHttpRequest, filters: Query[MeasurementFilters]) -> Any:
    return selectors.measurement_list(
        user=request.user, analyte=filters.analyte, site=filters.site, study_code=filters.study_code
    )


@router.get("/{measurement_id}", response={200: MeasurementOut, **READ_ERRORS})
@access.staff()
def get_measurement(request: AuthenticatedHttpRequest, measurement_id: int) -> Any:
    return selectors.measurement_get(user=request.user, pk=measurement_id)


@router.post("/", response={201: MeasurementOut, **WRITE_ERRORS})
@access.staff(Capability.LAB_WRITE)
def record_measurement(request: AuthenticatedHttpRequest, payload: MeasurementIn) -> Any:
    participant = participant_selectors.participant_get(
        user=request.user, study_code=payload.study_code
    )
    visit = (
        visit_selectors.visit_get(user=request.user, pk=payload.visit_id)
        if payload.visit_id is not None
        else None
    )
    data = payload.dict(exclude={"study_code", "visit_id"})
    measurement = services.measurement_record(
        user=request.user, participant=participant, visit=visit, data=data
    )
    return Status(201, measurement)
