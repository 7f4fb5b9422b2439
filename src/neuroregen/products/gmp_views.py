"""Pages for OOS investigations and recall notices. Thin: parse, call one service, render."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from neuroregen.core import access
from neuroregen.core.errors import DomainError, NotFound, ValidationFailed
from neuroregen.core.http import AuthenticatedHttpRequest
from neuroregen.core.permissions import require
from neuroregen.core.roles import Capability
from neuroregen.core.time import site_today
from neuroregen.products import gmp_forms, selectors
from neuroregen.products import services as s
from neuroregen.products.models import OOSInvestigation, QCResult, RecallNotice


def _apply(form: Any, error: DomainError) -> None:
    if isinstance(error, ValidationFailed):
        form.apply_domain_error(error)
    else:
        form.add_error(None, error.message)


def _result(user: Any, pk: int) -> QCResult:
    result = QCResult.objects.for_user(user).select_related("lot", "item").filter(pk=pk).first()
    if result is None:
        raise NotFound()
    return result


def _page(request: Any, form: Any, *, lot: Any, title: str, intro: str = "") -> HttpResponse:
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "products/gmp_form.html",
        {"form": form, "lot": lot, "title": title, "intro": intro},
        status=status,
    )


@login_required
@access.staff(Capability.LAB_WRITE)
def oos_open(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    result = _result(request.user, pk)
    lot = selectors.lot_get(user=request.user, code=result.lot.code)
    require(request.user, Capability.LAB_WRITE, lot.site)
    form = gmp_forms.OOSOpenForm(request.POST or None, initial={"opened_on": site_today(lot)})
    if request.method == "POST" and form.is_valid():
        try:
            s.oos_investigation_open(user=request.user, result=result, **form.cleaned_data)
        except DomainError as error:
            _apply(form, error)
        else:
            messages.success(request, _("OOS investigation opened."))
            return redirect("products:lot_detail", code=lot.code)
    return _page(
        request,
        form,
        lot=lot,
        title=_("Open an OOS investigation for %(lot)s") % {"lot": lot.code},
        intro=_("%(test)s: %(result)s, tested on %(day)s, is out of specification (%(spec)s).")
        % {
            "test": result.item.name,
            "result": result.display_value(),
            "day": result.tested_on,
            "spec": result.item.criterion_text(),
        },
    )


@login_required
@access.staff(Capability.LAB_WRITE)
def oos_conclude(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    investigation = (
        OOSInvestigation.objects.for_user(request.user)
        .select_related("lot", "qc_result", "qc_result__item")
        .filter(pk=pk)
        .first()
    )
    if investigation is None:
        raise NotFound()
    lot = selectors.lot_get(user=request.user, code=investigation.lot.code)
    require(request.user, Capability.LAB_WRITE, lot.site)
    form = gmp_forms.OOSConcludeForm(
        request.POST or None, initial={"concluded_on": site_today(lot)}
    )
    if request.method == "POST" and form.is_valid():
        try:
            s.oos_investigation_conclude(
                user=request.user, investigation=investigation, **form.cleaned_data
            )
        except DomainError as error:
            _apply(form, error)
        else:
            messages.success(request, _("OOS investigation concluded (signed)."))
            return redirect("products:lot_detail", code=lot.code)
    result = investigation.qc_result
    return _page(
        request,
        form,
        lot=lot,
        title=_("Conclude OOS investigation %(reference)s")
        % {"reference": investigation.reference},
        intro=_(
            "%(test)s: %(result)s, tested on %(day)s. Only a confirmed laboratory error "
            "invalidates the result; otherwise it stands and the lot fails QC."
        )
        % {"test": result.item.name, "result": result.display_value(), "day": result.tested_on},
    )


@login_required
@access.staff(Capability.SIGN_CLINICAL)
def recall_notice_acknowledge(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    notice = (
        RecallNotice.objects.for_user(request.user)
        .select_related("lot", "participant", "recall", "site")
        .filter(pk=pk)
        .first()
    )
    if notice is None:
        raise NotFound()
    require(request.user, Capability.SIGN_CLINICAL, notice.site)
    form = gmp_forms.RecallNoticeAcknowledgeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            s.recall_notice_acknowledge(user=request.user, notice=notice, **form.cleaned_data)
        except DomainError as error:
            _apply(form, error)
        else:
            messages.success(request, _("Recall notice acknowledged."))
            return redirect("participant_detail", study_code=notice.participant.study_code)
    return _page(
        request,
        form,
        lot=None,
        title=_("Acknowledge the recall of %(lot)s for %(participant)s")
        % {"lot": notice.lot.code, "participant": notice.participant.study_code},
        intro=_("Recalled %(when)s: %(reason)s")
        % {
            "when": timezone.localtime(
                notice.recall.recalled_at, ZoneInfo(notice.site.time_zone)
            ).strftime("%Y-%m-%d %H:%M %Z"),
            "reason": notice.recall.reason,
        },
    )
