"""Pages of the chain of custody: custody events, shipments between sites, and quality's
assessment of a temperature excursion.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from neuroregen.core import access
from neuroregen.core.errors import DomainError, NotFound
from neuroregen.core.http import AuthenticatedHttpRequest
from neuroregen.core.models import Site
from neuroregen.core.permissions import has_capability, require
from neuroregen.core.roles import Capability
from neuroregen.core.time import now_at
from neuroregen.products import choices as c
from neuroregen.products import forms, selectors, services
from neuroregen.products.models import Container, CustodyEvent
from neuroregen.products.views import _apply


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
