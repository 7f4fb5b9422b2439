"""Product pages for lab and clinic staff. Thin: parse, call one service or selector, render."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from neuroregen.core import access
from neuroregen.core.errors import DomainError, NotFound, ValidationFailed
from neuroregen.core.http import AuthenticatedHttpRequest
from neuroregen.core.models import Site
from neuroregen.core.permissions import has_capability, require
from neuroregen.core.roles import Capability
from neuroregen.core.services import signatures_for
from neuroregen.core.time import format_at, now_at, to_site
from neuroregen.participants import selectors as participant_selectors
from neuroregen.participants.models import Participant
from neuroregen.products import choices as c
from neuroregen.products import forms, labels, qc, selectors, services
from neuroregen.products.models import Container, CustodyEvent, Lot

T = TypeVar("T")


def _apply(form: Any, error: DomainError) -> None:
    if isinstance(error, ValidationFailed) and error.field in form.fields:
        form.apply_domain_error(error)
    else:
        form.add_error(None, error.message)


# --- lots ----------------------------------------------------------------------------------


@login_required
@access.staff()
def lot_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    filters = forms.LotFilterForm(request.GET or None)
    data = filters.cleaned_data if filters.is_valid() else {}
    lots = selectors.lot_list(
        user=request.user,
        search=data.get("q", ""),
        status=data.get("status", ""),
        kind=data.get("kind", ""),
    )
    return render(
        request,
        "products/lot_list.html",
        {
            "lots": lots[:300],
            "filters": filters,
            "can_administer": has_capability(request.user, Capability.ADMINISTER_PRODUCT),
            "can_lab": has_capability(request.user, Capability.LAB_WRITE),
            "open_excursions": selectors.open_excursions(user=request.user)[:20],
        },
    )


@login_required
@access.staff()
def lot_detail(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    lot = selectors.lot_get(user=request.user, code=code)
    user = request.user
    release = getattr(lot, "release", None)
    recall = getattr(lot, "recall", None)
    holder = Lot.objects.for_user(user).filter(pk=lot.pk).exists()
    return render(
        request,
        "products/lot_detail.html",
        {
            "lot": lot,
            "verdict": selectors.lot_qc_verdict(lot),
            "results": selectors.qc_results(user=user, lot=lot),
            "deviations": lot.deviations.all(),
            "release": release,
            "release_signature": signatures_for(release).first() if release else None,
            "recall_signature": signatures_for(recall).first() if recall else None,
            "containers": selectors.containers_of(user=user, lot=lot),
            "events": selectors.custody_timeline(user=user, lot=lot),
            "administrations": selectors.lookback_administrations(user=user, lot=lot),
            "by_site": selectors.lookback_by_site(lot=lot) if holder else [],
            "can_lab": has_capability(user, Capability.LAB_WRITE, lot.site),
            "can_see_donor": has_capability(user, Capability.VIEW_DONOR, lot.site),
            "can_release": has_capability(user, Capability.RELEASE_LOT, lot.site),
            "can_custody": any(
                has_capability(user, cap, lot.site) for cap in services.CUSTODY_CAPABILITIES
            ),
            "can_receive": has_capability(user, Capability.ADMINISTER_PRODUCT)
            or has_capability(user, Capability.LAB_WRITE),
            "usable": lot.status in c.USABLE_LOT_STATUSES and not lot.is_expired(),
        },
    )


@login_required
@access.staff(Capability.LAB_WRITE)
def qc_record(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    lot = selectors.lot_get(user=request.user, code=code)
    require(request.user, Capability.LAB_WRITE, lot.site)
    form = forms.QCResultForm(
        request.POST or None,
        items=lot.qc_specification.items.all(),
        initial={"tested_on": timezone.localdate()},
    )
    deviation = forms.DeviationForm(prefix="dev", initial={"opened_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            result = services.qc_result_record(user=request.user, lot=lot, **form.cleaned_data)
        except DomainError as error:
            _apply(form, error)
        else:
            if result.in_spec:
                messages.success(request, _("Result recorded: within specification."))
            else:
                messages.warning(
                    request,
                    _(
                        "Result recorded: OUT OF SPECIFICATION. Open an OOS investigation "
                        "before any re-test, and record a deviation."
                    ),
                )
            return redirect("products:lot_detail", code=lot.code)
    return render(
        request,
        "products/form.html",
        {
            "form": form,
            "lot": lot,
            "title": _("Record a QC result for %(lot)s") % {"lot": lot.code},
            "extra_form": deviation if lot.qc_results.filter(in_spec=False).exists() else None,
        },
    )


@login_required
@require_POST
@access.staff(Capability.LAB_WRITE)
def deviation_record(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    lot = selectors.lot_get(user=request.user, code=code)
    require(request.user, Capability.LAB_WRITE, lot.site)
    form = forms.DeviationForm(request.POST, prefix="dev")
    if form.is_valid():
        failed = lot.qc_results.filter(in_spec=False).order_by("-recorded_at").first()
        try:
            services.deviation_record(
                user=request.user, lot=lot, qc_result=failed, **form.cleaned_data
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Deviation recorded."))
    else:
        messages.error(request, _("The deviation was not recorded: complete every field."))
    return redirect("products:lot_detail", code=lot.code)


@login_required
@require_POST
@access.staff(Capability.LAB_WRITE)
def qc_conclude(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    lot = selectors.lot_get(user=request.user, code=code)
    require(request.user, Capability.LAB_WRITE, lot.site)
    try:
        lot = services.lot_qc_conclude(user=request.user, lot=lot)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("QC concluded: %(status)s.") % {"status": lot.get_status_display()}
        )
    return redirect("products:lot_detail", code=lot.code)


@login_required
@access.staff(Capability.RELEASE_LOT)
def lot_release(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    lot = selectors.lot_get(user=request.user, code=code)
    require(request.user, Capability.RELEASE_LOT, lot.site)
    form = forms.SignatureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.lot_release(user=request.user, lot=lot, **form.cleaned_data)
        except DomainError as error:
            _apply(form, error)
        else:
            messages.success(
                request, _("Lot %(lot)s released for clinical use (signed).") % {"lot": lot.code}
            )
            return redirect("products:lot_detail", code=lot.code)
    return render(
        request,
        "products/release.html",
        {
            "lot": lot,
            "form": form,
            "verdict": selectors.lot_qc_verdict(lot),
            "results": selectors.qc_results(user=request.user, lot=lot),
            "independent": request.user.pk not in qc.qc_contributors(lot),
        },
    )


@login_required
@access.staff(Capability.RELEASE_LOT)
def lot_recall(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    lot = selectors.lot_get(user=request.user, code=code)
    require(request.user, Capability.RELEASE_LOT, lot.site)
    form = forms.RecallForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.lot_recall(user=request.user, lot=lot, **form.cleaned_data)
        except DomainError as error:
            _apply(form, error)
        else:
            messages.warning(
                request,
                _("Lot %(lot)s recalled. Contact the recipients listed.") % {"lot": lot.code},
            )
            return redirect("products:lookback", code=lot.code)
    return render(
        request,
        "products/form.html",
        {
            "form": form,
            "lot": lot,
            "danger": True,
            "title": _("Recall lot %(lot)s") % {"lot": lot.code},
        },
    )


# --- custody -------------------------------------------------------------------------------


@login_required
@access.staff(Capability.LAB_WRITE, Capability.ADMINISTER_PRODUCT, any_of=True)
def custody_record(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    lot = selectors.lot_get(user=request.user, code=code)
    containers = list(selectors.containers_of(user=request.user, lot=lot))
    if not any(
        has_capability(request.user, cap, site)
        for cap in services.CUSTODY_CAPABILITIES
        for site in {lot.site, *(x.site for x in containers)}
    ):
        require(request.user, Capability.LAB_WRITE, lot.site)
    events = list(selectors.custody_timeline(user=request.user, lot=lot))
    form = forms.CustodyForm(
        request.POST or None,
        containers=containers,
        events=events,
        tz_name=lot.site.time_zone,
        initial={"occurred_at": now_at(lot.site)},
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["container"] = next((x for x in containers if x.code == data["container"]), None)
        data["corrects"] = next((e for e in events if str(e.pk) == data["corrects"]), None)
        try:
            services.custody_record(user=request.user, lot=lot, **data)
        except DomainError as error:
            _apply(form, error)
        else:
            messages.success(request, _("Custody event recorded."))
            return redirect("products:lot_detail", code=lot.code)
    return render(
        request,
        "products/form.html",
        {
            "form": form,
            "lot": lot,
            "title": _("Chain of custody: %(lot)s") % {"lot": lot.code},
        },
    )


@login_required
@access.staff(Capability.LAB_WRITE)
def shipment_dispatch(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    lot = selectors.lot_get(user=request.user, code=code)
    require(request.user, Capability.LAB_WRITE, lot.site)
    available = [
        x
        for x in selectors.containers_of(user=request.user, lot=lot)
        if x.status == c.ContainerStatus.AVAILABLE
    ]
    sites = Site.objects.exclude(pk=lot.site_id)
    form = forms.ShipmentForm(
        request.POST or None,
        containers=available,
        sites=sites,
        tz_name=lot.site.time_zone,
        initial={"occurred_at": now_at(lot.site)},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.shipment_dispatch(
                user=request.user,
                containers=[x for x in available if x.code in data["containers"]],
                to_site=sites.get(code=data["to_site"]),
                occurred_at=data["occurred_at"],
                courier=data["courier"],
                temperature_c=data["temperature_c"],
            )
        except DomainError as error:
            _apply(form, error)
        else:
            messages.success(request, _("Shipment dispatched."))
            return redirect("products:lot_detail", code=lot.code)
    return render(
        request,
        "products/form.html",
        {
            "form": form,
            "lot": lot,
            "title": _("Ship containers of %(lot)s") % {"lot": lot.code},
        },
    )


@login_required
@access.staff(Capability.LAB_WRITE, Capability.ADMINISTER_PRODUCT, any_of=True)
def shipment_receive(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """Receipt at the clinic: the container is found by its code (scanned)."""
    container = _container_in_transit(request.user, code)
    # Received where it was sent: the receipt time is wall time at the destination site.
    receiving = _destination_of(container) or container.site
    form = forms.ReceiptForm(
        request.POST or None,
        tz_name=receiving.time_zone,
        initial={"occurred_at": now_at(receiving)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.shipment_receive(user=request.user, container=container, **form.cleaned_data)
        except DomainError as error:
            _apply(form, error)
        else:
            messages.success(request, _("Container %(code)s received.") % {"code": container.code})
            return redirect("products:lot_detail", code=container.lot.code)
    return render(
        request,
        "products/form.html",
        {
            "form": form,
            "lot": container.lot,
            "title": _("Receive container %(code)s") % {"code": container.code},
        },
    )


def _destination_of(container: Container) -> Site | None:
    dispatch = container.custody_events.filter(kind=c.CustodyKind.SHIPMENT_DISPATCH).last()
    return Site.objects.filter(code=getattr(dispatch, "to_party", "")).first()


def _container_in_transit(user: Any, code: str) -> Any:
    """A container in transit may be received by staff of the site it was sent to."""
    container = (
        Container.objects.select_related("lot")
        .filter(code=code.strip().upper(), status=c.ContainerStatus.IN_TRANSIT)
        .first()
    )
    if container is None:
        raise NotFound()
    destination = _destination_of(container)
    visible = Container.objects.for_user(user).filter(pk=container.pk).exists()
    if not visible and not (destination and has_capability(user, Capability.VIEW, destination)):
        raise NotFound()
    return container


@login_required
@access.staff(Capability.RELEASE_LOT)
def excursion_assess(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    event = CustodyEvent.objects.filter(pk=pk, is_excursion=True).select_related("lot").first()
    if event is None:
        raise NotFound()
    lot = selectors.lot_get(user=request.user, code=event.lot.code)
    require(request.user, Capability.RELEASE_LOT, lot.site)
    form = forms.AssessmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.excursion_assess(user=request.user, excursion=event, **form.cleaned_data)
        except DomainError as error:
            _apply(form, error)
        else:
            messages.success(request, _("Excursion assessed (signed)."))
            return redirect("products:lot_detail", code=lot.code)
    return render(
        request,
        "products/form.html",
        {
            "form": form,
            "lot": lot,
            "event": event,
            "title": _("Assess temperature excursion: %(t)s °C") % {"t": event.temperature_c},
        },
    )


# --- labels, scanning, look-back -----------------------------------------------------------


@login_required
@access.staff()
def label(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    kind, obj = selectors.resolve_code(user=request.user, scanned=code)
    lines: list[tuple[str, str]] = []
    warning = ""
    lot = obj.lot if kind == "container" else obj if kind == "lot" else None
    if lot is not None:
        lines = [
            (_("Product"), lot.get_product_type_display()),
            (_("Lot"), lot.code),
            (_("Expires"), format_at(lot.expires_at, lot.site)),
            (_("Storage"), lot.get_storage_display()),
        ]
        if kind == "container":
            lines.insert(0, (_("Volume"), f"{obj.volume_ml} mL"))
        if lot.participant_id:
            lines.append((_("Participant"), lot.participant.study_code))
            warning = _("FOR AUTOLOGOUS USE ONLY")
    elif kind == "source":
        lines = [
            (_("Material"), obj.get_kind_display()),
            (_("Collected"), f"{to_site(obj.collected_at, obj.site):%Y-%m-%d}"),
        ]
        if obj.participant_id:
            lines.append((_("Participant"), obj.participant.study_code))
            warning = _("FOR AUTOLOGOUS USE ONLY")
    elif kind == "line":
        lines = [(_("Clone"), obj.clone), (_("Passage"), str(obj.passage))]
    title = {
        "container": _("Dose container"),
        "lot": _("Product lot"),
        "source": _("Source material"),
        "line": _("iPSC line"),
        "donor": _("Donor"),
        "participant": _("Participant"),
        "administration": _("Administration"),
    }[kind]
    code_text = obj.study_code if kind == "participant" else obj.code
    return render(
        request,
        "products/label.html",
        {
            "label": labels.Label(
                code=code_text, title=str(title), lines=lines, warning=str(warning)
            ),
        },
    )


@login_required
@access.staff()
def scan(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Where a scanned code leads."""
    scanned = request.GET.get("code", "")
    try:
        kind, obj = selectors.resolve_code(user=request.user, scanned=scanned)
    except DomainError as error:
        messages.error(
            request,
            error.message
            if error.status != 404
            else _("No record with code %(code)s is visible to you.") % {"code": scanned},
        )
        return redirect("products:lot_list")
    if kind == "participant":
        return redirect("products:participant_products", study_code=obj.study_code)
    if kind == "container":
        return redirect(reverse("products:lot_detail", args=[obj.lot.code]) + f"#{obj.code}")
    if kind == "administration":
        return redirect("products:administration_detail", code=obj.code)
    if kind == "lot":
        return redirect("products:lot_detail", code=obj.code)
    return redirect("products:lookback", code=obj.code)


@login_required
@access.staff()
def lookback(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """Look-back from a lot, a source material or a donor."""
    kind, obj = selectors.resolve_code(user=request.user, scanned=code)
    if kind not in ("lot", "source", "donor"):
        raise NotFound()
    key = {"lot": {"lot": obj}, "source": {"source": obj}, "donor": {"donor": obj}}[kind]
    lots = selectors.lots_from(**key).filter(pk__in=selectors.visible_lots(request.user))
    lot = obj if kind == "lot" else None
    return render(
        request,
        "products/lookback.html",
        {
            "kind": kind,
            "obj": obj,
            "lots": lots,
            "administrations": selectors.lookback_administrations(user=request.user, **key),
            "by_site": selectors.lookback_by_site(**key),
            "contacts": selectors.recall_contacts(user=request.user, lot=lot) if lot else [],
            "outstanding": selectors.containers_outstanding(user=request.user, lot=lot)
            if lot
            else [],
        },
    )


@login_required
@access.staff()
def participant_products(request: AuthenticatedHttpRequest, study_code: str) -> HttpResponse:
    participant = participant_selectors.participant_get(user=request.user, study_code=study_code)
    return render(
        request,
        "products/participant.html",
        {
            "p": participant,
            "administrations": selectors.participant_administrations(
                user=request.user, participant=participant
            ),
            "lots": selectors.visible_lots(request.user).filter(participant=participant),
            "compat": (
                selectors.compatibility(user=request.user, participant=participant)
                if has_capability(request.user, Capability.VIEW_DONOR, participant.site)
                else None
            ),
            "can_administer": has_capability(
                request.user, Capability.ADMINISTER_PRODUCT, participant.site
            ),
            "can_lab": has_capability(request.user, Capability.LAB_WRITE, participant.site),
        },
    )


@login_required
@access.staff()
def administration_detail(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    from neuroregen.products.models import Administration

    administration = (
        Administration.objects.for_user(request.user)
        .select_related("participant", "lot", "container", "arm", "administered_by")
        .filter(code=code)
        .first()
    )
    if administration is None:
        raise NotFound()
    return render(request, "products/administration.html", {"a": administration})


# --- bedside -------------------------------------------------------------------------------


def _bedside_state(request: AuthenticatedHttpRequest) -> tuple[dict[str, str], list[str]]:
    """Participant and container codes so far, plus the code just scanned (Enter submits)."""
    state = {
        "participant": request.GET.get("participant", ""),
        "container": request.GET.get("container", ""),
    }
    errors: list[str] = []
    scanned = request.GET.get("scan", "").strip().upper()
    if scanned:
        prefix = scanned.split("-")[0]
        if prefix == "P":
            state = {"participant": scanned, "container": ""}
        elif prefix == c.CodePrefix.CONTAINER:
            state["container"] = scanned
        else:
            errors.append(_("Scan the participant's wristband or a dose container."))
    return state, errors


@login_required
@access.staff(Capability.ADMINISTER_PRODUCT)
def bedside(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Scan wristband, scan container, see every check, then record the administration."""
    require(request.user, Capability.ADMINISTER_PRODUCT)
    if request.method == "POST":
        return _bedside_record(request)
    state, errors = _bedside_state(request)
    if request.GET.get("scan") and not errors:
        return redirect(f"{reverse('products:bedside')}?{urlencode(state)}")
    context: dict[str, Any] = {"state": state, "errors": errors}
    participant = _lookup(_bedside_participant, request.user, state["participant"], errors)
    container = _lookup(_bedside_container, request.user, state["container"], errors)
    context.update(participant=participant, container=container)
    if participant is not None:
        context["identity"] = participant_selectors.identity_get(
            user=request.user, participant=participant
        )
    if participant is not None and container is not None:
        context["problems"] = services.administration_blockers(
            container=container, participant=participant
        )
        context["form"] = _administration_form(participant, container, None)
        context.update(_dose_plan(participant, container))
    return render(request, "products/bedside.html", context)


def _lookup(getter: Callable[[Any, str], T], user: Any, code: str, errors: list[str]) -> T | None:
    """The record a scanned code names, or None with the reason added to ``errors``."""
    if not code:
        return None
    try:
        return getter(user, code)
    except DomainError as error:
        errors.append(
            error.message
            if error.status != 404
            else _("%(code)s: no such record at your sites.") % {"code": code}
        )
        return None


def _bedside_participant(user: Any, code: str) -> Participant:
    from neuroregen.products.validators import parse_code

    try:
        code = parse_code(code, expected={"P"})
    except ValueError as exc:
        raise ValidationFailed(str(exc)) from exc
    return participant_selectors.participant_get(user=user, study_code=code)


def _bedside_container(user: Any, code: str) -> Container:
    from neuroregen.products.validators import parse_code

    try:
        code = parse_code(code, expected={c.CodePrefix.CONTAINER})
    except ValueError as exc:
        raise ValidationFailed(str(exc)) from exc
    return selectors.container_get(user=user, code=code)


def _administration_form(participant: Participant, container: Any, data: Any) -> Any:
    now = now_at(participant.site)
    form = forms.AdministrationForm(
        data,
        tz_name=participant.site.time_zone,
        initial={
            "participant_code": participant.study_code,
            "container_code": container.code,
            "started_at": now,
            "stopped_at": now,
        },
    )
    if data is not None:
        form.is_valid()
    return form


def _dose_plan(participant: Participant, container: Any) -> dict[str, Any]:
    from neuroregen.protocols.dose import DoseOutOfBounds

    arm = services._current_arm(participant)
    weight = participant.anthropometry.order_by("-measured_on", "-pk").first()
    if arm is None or weight is None:
        return {"arm": arm, "weight": weight}
    try:
        volume = services.planned_volume_ml(lot=container.lot, arm=arm, weight_kg=weight.weight_kg)
    except (DoseOutOfBounds, ArithmeticError):
        volume = None
    return {"arm": arm, "weight": weight, "planned_volume": volume}


def _bedside_record(request: AuthenticatedHttpRequest) -> HttpResponse:
    participant_code = request.POST.get("participant_code", "")
    container_code = request.POST.get("container_code", "")
    participant = _bedside_participant(request.user, participant_code)
    require(request.user, Capability.ADMINISTER_PRODUCT, participant.site)
    container = _bedside_container(request.user, container_code)
    form = _administration_form(participant, container, request.POST)
    if form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("participant_code")
        data.pop("container_code")
        try:
            administration = services.administration_record(
                user=request.user,
                participant=participant,
                container=container,
                scanned_participant_code=participant_code,
                scanned_container_code=container_code,
                **data,
            )
        except DomainError as error:
            _apply(form, error)
        else:
            messages.success(
                request, _("Administration %(code)s recorded.") % {"code": administration.code}
            )
            return redirect("products:administration_detail", code=administration.code)
    context = {
        "state": {"participant": participant.study_code, "container": container.code},
        "errors": [],
        "participant": participant,
        "container": container,
        "form": form,
        "identity": participant_selectors.identity_get(user=request.user, participant=participant),
        "problems": services.administration_blockers(container=container, participant=participant),
        **_dose_plan(participant, container),
    }
    return render(request, "products/bedside.html", context, status=422 if form.errors else 200)
