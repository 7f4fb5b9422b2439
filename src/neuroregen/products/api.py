"""Product lots, their QC and chain of custody, and administrations over the API.

Recording a QC result or a custody event goes through the products services (same rules,
same audit, a hand-off signed with the recorder's password as on the page). Administrations
are read-only here: giving a dose needs the bedside identity scan of the page.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import AwareDatetime

from neuroregen.core import access
from neuroregen.core.api_base.access import require_staff_view
from neuroregen.core.api_base.pagination import BoundedPagination
from neuroregen.core.api_base.schemas import READ_ERRORS, WRITE_ERRORS
from neuroregen.core.errors import NotFound
from neuroregen.core.http import AuthenticatedHttpRequest
from neuroregen.core.research_dates import calendar_resolver, study_day_of
from neuroregen.core.roles import Capability
from neuroregen.products import choices as c
from neuroregen.products import selectors, services
from neuroregen.products.models import Administration, CustodyEvent

router = Router(tags=["products"])


class LotOut(Schema):
    code: str
    site: str
    study_code: str | None
    product_type: str
    status: str
    autologous: bool
    manufacture_started_on: dt.date
    manufactured_on: dt.date | None
    expires_at: dt.datetime
    concentration: Decimal
    concentration_unit: str
    volume_ml: Decimal
    storage: str
    released: bool
    row_version: int

    @staticmethod
    def resolve_site(obj: Any) -> str:
        return obj.site.code

    @staticmethod
    def resolve_study_code(obj: Any) -> str | None:
        return obj.participant.study_code if obj.participant_id else None

    @staticmethod
    def resolve_autologous(obj: Any) -> bool:
        return obj.is_autologous

    @staticmethod
    def resolve_released(obj: Any) -> bool:
        return hasattr(obj, "release")


class QCLineOut(Schema):
    test: str
    name: str
    criterion: str
    result: str | None
    in_spec: bool | None


class QCStatusOut(Schema):
    specification: str
    complete: bool
    passed: bool
    missing: list[str]
    out_of_spec: list[str]
    pending_investigation: list[str] = []
    lines: list[QCLineOut]


class ContainerOut(Schema):
    code: str
    sequence: int
    site: str
    volume_ml: Decimal
    status: str

    @staticmethod
    def resolve_site(obj: Any) -> str:
        return obj.site.code


class LotDetailOut(LotOut):
    source_code: str
    ipsc_line_code: str | None
    arm: str | None
    recall_reason: str
    qc: QCStatusOut
    containers: list[ContainerOut]

    @staticmethod
    def resolve_source_code(obj: Any) -> str:
        return obj.source.code

    @staticmethod
    def resolve_ipsc_line_code(obj: Any) -> str | None:
        return obj.ipsc_line.code if obj.ipsc_line_id else None

    @staticmethod
    def resolve_arm(obj: Any) -> str | None:
        return f"{obj.arm.protocol} · {obj.arm.code}" if obj.arm_id else None

    @staticmethod
    def resolve_containers(obj: Any) -> list[Any]:
        return obj.containers_visible


class QCResultOut(Schema):
    id: int
    test_code: str
    test: str
    value: Decimal | None
    passed: bool | None
    display: str
    in_spec: bool
    tested_on: dt.date
    comment: str
    recorded_at: dt.datetime

    @staticmethod
    def resolve_test_code(obj: Any) -> str:
        return obj.item.test_code

    @staticmethod
    def resolve_test(obj: Any) -> str:
        return obj.item.name

    @staticmethod
    def resolve_display(obj: Any) -> str:
        return obj.display_value()


class QCResultIn(Schema):
    test_code: str = Field(max_length=40)
    tested_on: dt.date
    value: Decimal | None = Field(None, max_digits=24, decimal_places=6)
    passed: bool | None = None
    comment: str = Field("", max_length=300)


class CustodyEventOut(Schema):
    id: int
    lot_code: str
    container_code: str | None
    site: str
    kind: str
    occurred_at: dt.datetime
    from_party: str
    to_party: str
    place: str
    temperature_c: Decimal | None
    is_excursion: bool
    outcome: str
    assesses_id: int | None
    corrects_id: int | None
    notes: str
    recorded_at: dt.datetime

    @staticmethod
    def resolve_lot_code(obj: Any) -> str:
        return obj.lot.code

    @staticmethod
    def resolve_container_code(obj: Any) -> str | None:
        return obj.container.code if obj.container_id else None

    @staticmethod
    def resolve_site(obj: Any) -> str:
        return obj.site.code


class CustodyIn(Schema):
    kind: str = Field(description="handoff, storage_move, temperature or correction.")
    occurred_at: AwareDatetime
    container_code: str = Field("", max_length=20)
    from_party: str = Field("", max_length=120)
    to_party: str = Field("", max_length=120)
    place: str = Field("", max_length=200)
    temperature_c: Decimal | None = Field(None, max_digits=6, decimal_places=1)
    notes: str = Field("", max_length=500)
    corrects_id: int | None = None
    password: str = Field(
        "", description="A hand-off is e-signed: the recorder's password.", max_length=200
    )


class AdministrationOut(Schema):
    code: str
    study_code: str
    site: str
    lot_code: str
    container_code: str
    product_type: str
    protocol: str
    arm: str
    route: str
    # Null for readers who see study days instead (statisticians).
    started_at: dt.datetime | None
    stopped_at: dt.datetime | None
    study_day: int | None
    volume_ml: Decimal
    weight_kg: Decimal
    dose_total: Decimal
    dose_per_kg: Decimal
    dose_unit: str
    premedication: str
    reaction: str
    reaction_description: str
    is_first: bool
    notes: str
    row_version: int

    @staticmethod
    def resolve_study_code(obj: Any) -> str:
        return obj.participant.study_code

    @staticmethod
    def resolve_site(obj: Any) -> str:
        return obj.site.code

    @staticmethod
    def resolve_lot_code(obj: Any) -> str:
        return obj.lot.code

    @staticmethod
    def resolve_container_code(obj: Any) -> str:
        return obj.container.code

    @staticmethod
    def resolve_product_type(obj: Any) -> str:
        return obj.lot.product_type

    @staticmethod
    def resolve_protocol(obj: Any) -> str:
        return str(obj.arm.protocol)

    @staticmethod
    def resolve_arm(obj: Any) -> str:
        return obj.arm.code

    resolve_started_at = calendar_resolver("started_at")

    resolve_stopped_at = calendar_resolver("stopped_at")

    @staticmethod
    def resolve_study_day(obj: Any) -> int | None:
        return study_day_of(obj.participant, obj.started_at)


class LotFilters(Schema):
    status: str = ""
    product_type: str = ""
    kind: str = Field("", description="autologous or allogeneic")
    q: str = ""


class AdministrationFilters(Schema):
    study_code: str = ""
    lot: str = ""
    reaction: bool | None = None


def _qc_status(lot: Any) -> dict[str, Any]:
    verdict = selectors.lot_qc_verdict(lot)
    return {
        "specification": str(lot.qc_specification),
        "complete": verdict.complete,
        "passed": verdict.passed,
        "missing": verdict.missing,
        "out_of_spec": verdict.out_of_spec,
        "pending_investigation": verdict.pending_investigation,
        "lines": verdict.summary(),
    }


def _lot_detail(user: Any, lot: Any) -> Any:
    # What LotDetailOut reads besides the row: the QC standing and the containers in sight.
    lot.qc = _qc_status(lot)
    lot.containers_visible = list(selectors.containers_of(user=user, lot=lot))
    return lot


@router.get("/lots", response={200: list[LotOut], **READ_ERRORS})
@paginate(BoundedPagination)
@access.staff()
def list_lots(request: AuthenticatedHttpRequest, filters: Query[LotFilters]) -> Any:
    require_staff_view(request.user)
    qs = selectors.lot_list(
        user=request.user, search=filters.q, status=filters.status, kind=filters.kind
    )
    if filters.product_type:
        qs = qs.filter(product_type=filters.product_type)
    return qs


@router.get("/lots/{code}", response={200: LotDetailOut, **READ_ERRORS})
@access.staff()
def get_lot(request: AuthenticatedHttpRequest, code: str) -> Any:
    require_staff_view(request.user)
    lot = selectors.lot_get(user=request.user, code=code)
    return _lot_detail(request.user, lot)


@router.get("/lots/{code}/qc-results", response={200: list[QCResultOut], **READ_ERRORS})
@access.staff()
def list_qc_results(request: AuthenticatedHttpRequest, code: str) -> Any:
    """Every QC result of the lot, re-tests included (the latest result of a test counts)."""
    require_staff_view(request.user)
    lot = selectors.lot_get(user=request.user, code=code)
    return list(selectors.qc_results(user=request.user, lot=lot))


@router.post("/lots/{code}/qc-results", response={201: QCResultOut, **WRITE_ERRORS})
@access.staff(Capability.LAB_WRITE)
def record_qc_result(request: AuthenticatedHttpRequest, code: str, payload: QCResultIn) -> Any:
    """Record a QC result while the lot is in quarantine (lab role at the holding site)."""
    require_staff_view(request.user)
    lot = selectors.lot_get(user=request.user, code=code)
    result = services.qc_result_record(
        user=request.user,
        lot=lot,
        test_code=payload.test_code,
        tested_on=payload.tested_on,
        value=payload.value,
        passed=payload.passed,
        comment=payload.comment,
    )
    return Status(201, result)


@router.get("/lots/{code}/custody", response={200: list[CustodyEventOut], **READ_ERRORS})
@access.staff()
def list_lot_custody(request: AuthenticatedHttpRequest, code: str) -> Any:
    """The lot's chain of custody in time order (a receiving site sees its own containers)."""
    require_staff_view(request.user)
    lot = selectors.lot_get(user=request.user, code=code)
    return list(selectors.custody_timeline(user=request.user, lot=lot).select_related("lot"))


@router.post("/lots/{code}/custody", response={201: CustodyEventOut, **WRITE_ERRORS})
@access.staff(Capability.LAB_WRITE, Capability.ADMINISTER_PRODUCT, any_of=True)
def record_custody(request: AuthenticatedHttpRequest, code: str, payload: CustodyIn) -> Any:
    """Append a hand-off, storage move, temperature reading or correction. Shipments and
    excursion assessments have their own steps in the pages."""
    require_staff_view(request.user)
    lot = selectors.lot_get(user=request.user, code=code)
    container = None
    if payload.container_code:
        container = (
            selectors.containers_of(user=request.user, lot=lot)
            .filter(code=payload.container_code.strip().upper())
            .first()
        )
        if container is None:
            raise NotFound()
    corrects = None
    if payload.corrects_id is not None:
        corrects = (
            selectors.custody_timeline(user=request.user, lot=lot)
            .filter(pk=payload.corrects_id)
            .first()
        )
        if corrects is None:
            raise NotFound()
    event = services.custody_record(
        user=request.user,
        lot=lot,
        kind=payload.kind,
        occurred_at=payload.occurred_at,
        container=container,
        from_party=payload.from_party,
        to_party=payload.to_party,
        place=payload.place,
        temperature_c=payload.temperature_c,
        notes=payload.notes,
        password=payload.password,
        corrects=corrects,
    )
    return Status(
        201, CustodyEvent.objects.select_related("lot", "container", "site").get(pk=event.pk)
    )


@router.get("/containers/{code}/custody", response={200: list[CustodyEventOut], **READ_ERRORS})
@access.staff()
def list_container_custody(request: AuthenticatedHttpRequest, code: str) -> Any:
    """A container's chain of custody: its own events and those of its lot as a whole."""
    require_staff_view(request.user)
    container = selectors.container_get(user=request.user, code=code)
    lot = selectors.lot_get(user=request.user, code=container.lot.code)
    timeline = selectors.custody_timeline(user=request.user, lot=lot, container=container)
    return list(timeline.select_related("lot"))


@router.get(
    "/administrations",
    response={200: list[AdministrationOut], **READ_ERRORS},
    description=(
        "Administrations are read-only over the API: a dose is given in the bedside page, "
        "which needs the identity scan of the child's and the container's labels."
    ),
)
@paginate(BoundedPagination)
@access.staff()
def list_administrations(
    request: AuthenticatedHttpRequest, filters: Query[AdministrationFilters]
) -> Any:
    require_staff_view(request.user)
    qs = (
        Administration.objects.for_user(request.user)
        .select_related("participant", "site", "lot", "container", "arm__protocol")
        .order_by("started_at", "pk")
    )
    if filters.study_code:
        qs = qs.filter(participant__study_code=filters.study_code)
    if filters.lot:
        qs = qs.filter(lot__code=filters.lot.strip().upper())
    if filters.reaction is True:
        qs = qs.exclude(reaction=c.Reaction.NONE)
    elif filters.reaction is False:
        qs = qs.filter(reaction=c.Reaction.NONE)
    return qs


@router.get(
    "/administrations/{code}",
    response={200: AdministrationOut, **READ_ERRORS},
    description=(
        "Read-only: giving a dose stays in the bedside page, which needs the identity scan."
    ),
)
@access.staff()
def get_administration(request: AuthenticatedHttpRequest, code: str) -> Any:
    require_staff_view(request.user)
    found = (
        Administration.objects.for_user(request.user)
        .select_related("participant", "site", "lot", "container", "arm__protocol")
        .filter(code=code.strip().upper())
        .first()
    )
    if found is None:
        raise NotFound()
    return found
