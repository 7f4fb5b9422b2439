"""The bedside page: scan the wristband and the container, see every reason not to give it and
the planned dose, and record the administration.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from neuroregen.core import access
from neuroregen.core.errors import DomainError, ValidationFailed
from neuroregen.core.http import AuthenticatedHttpRequest
from neuroregen.core.permissions import require
from neuroregen.core.roles import Capability
from neuroregen.core.time import now_at
from neuroregen.participants import selectors as participant_selectors
from neuroregen.participants.models import Participant
from neuroregen.products import choices as c
from neuroregen.products import forms, selectors, services
from neuroregen.products.models import Container
from neuroregen.products.views import _apply

T = TypeVar("T")


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

    arm = services.current_arm(participant)
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
