"""Lot pages for lab and clinic staff: lots, QC, deviations, release and recall. Thin: parse,
call one service or selector, render. Custody, tracing and bedside pages have their own modules."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from neuroregen.core import access
from neuroregen.core.errors import DomainError, ValidationFailed
from neuroregen.core.http import AuthenticatedHttpRequest
from neuroregen.core.permissions import has_capability, require
from neuroregen.core.roles import Capability
from neuroregen.core.services import signatures_for
from neuroregen.core.time import site_today
from neuroregen.products import choices as c
from neuroregen.products import forms, qc, selectors, services
from neuroregen.products.models import Lot


def _apply(form: Any, error: DomainError) -> None:
    if isinstance(error, ValidationFailed) and error.field in form.fields:
        form.apply_domain_error(error)
    else:
        form.add_error(None, error.message)


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
        initial={"tested_on": site_today(lot)},
    )
    deviation = forms.DeviationForm(prefix="dev", initial={"opened_on": site_today(lot)})
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
