"""Safety pages. Thin: parse, call one service or selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from neuroregen.core import access
from neuroregen.core.errors import DomainError, NotFound, ValidationFailed
from neuroregen.core.http import AuthenticatedHttpRequest
from neuroregen.core.paging import page_of
from neuroregen.core.permissions import has_capability, require
from neuroregen.core.roles import Capability
from neuroregen.core.time import now_at
from neuroregen.participants import selectors as participant_selectors
from neuroregen.safety import choices as c
from neuroregen.safety import forms, selectors, services


@login_required
@access.staff()
def adverse_event_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    filters = forms.AdverseEventFilterForm(request.GET or None)
    data = filters.cleaned_data if filters.is_valid() else {}
    events = selectors.adverse_event_list(
        user=request.user,
        search=data.get("q", ""),
        serious=data.get("serious", ""),
        grade=data.get("grade", ""),
        aesi=data.get("aesi", ""),
    )
    return render(
        request,
        "safety/list.html",
        {"events": page_of(request, events), "filters": filters},
    )


@login_required
@access.staff(Capability.REPORT_SAFETY)
def adverse_event_create(request: AuthenticatedHttpRequest, study_code: str) -> HttpResponse:
    participant = participant_selectors.participant_get(user=request.user, study_code=study_code)
    require(request.user, Capability.REPORT_SAFETY, participant.site)
    tz = participant.site.time_zone
    form = forms.AdverseEventForm(
        request.POST or None,
        tz_name=tz,
        initial={"aware_at": now_at(tz)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            event = services.adverse_event_record(
                user=request.user,
                participant=participant,
                data=form.values(),
                serious=form.cleaned_data["serious"],
            )
        except ValidationFailed as error:
            form.apply_domain_error(error)
        else:
            messages.success(request, _("Adverse event %(code)s recorded.") % {"code": event.code})
            return redirect("safety_event_detail", code=event.code)
    return render(
        request,
        "safety/form.html",
        {
            "form": form,
            "p": participant,
            "title": _("Report an adverse event for %(code)s") % {"code": participant.study_code},
        },
    )


@login_required
@access.staff()
def adverse_event_detail(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    event = selectors.adverse_event_get(user=request.user, code=code)
    site = event.participant.site
    return render(
        request,
        "safety/detail.html",
        {
            "e": event,
            "follow_ups": event.follow_ups.select_related("recorded_by"),
            "clocks": event.clocks.all(),
            "sign_offs": event.sign_offs.select_related("signed_by"),
            "current_sign_off": services.sign_off_current(event),
            "can_report": has_capability(request.user, Capability.REPORT_SAFETY, site),
            "can_sign": has_capability(request.user, Capability.SIGN_CLINICAL, site),
            "follow_up_form": forms.FollowUpForm(),
            "sign_form": forms.SignOffForm(),
            "submit_form": forms.ClockSubmitForm(
                tz_name=site.time_zone,
                initial={"submitted_at": now_at(site)},
            ),
        },
    )


@login_required
@access.staff(Capability.REPORT_SAFETY)
def adverse_event_edit(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    event = selectors.adverse_event_get(user=request.user, code=code)
    site = event.participant.site
    require(request.user, Capability.REPORT_SAFETY, site)
    initial = {
        "row_version": event.row_version,
        "serious": "yes" if event.is_serious else "no",
        "aware_at": event.aware_at,
    }
    form = forms.AdverseEventEditForm(
        request.POST or None, instance=event, initial=initial, tz_name=site.time_zone
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.adverse_event_update(
                user=request.user,
                event=event,
                changes=form.values(),
                serious=form.cleaned_data["serious"],
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["row_version"],
            )
        except ValidationFailed as error:
            form.apply_domain_error(error)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("safety_event_detail", code=event.code)
    return render(
        request,
        "safety/form.html",
        {"form": form, "e": event, "title": _("Edit %(code)s") % {"code": event.code}},
    )


@login_required
@require_POST
@access.staff(Capability.REPORT_SAFETY)
def adverse_event_follow_up(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    event = selectors.adverse_event_get(user=request.user, code=code)
    require(request.user, Capability.REPORT_SAFETY, event.participant.site)
    form = forms.FollowUpForm(request.POST)
    try:
        services.adverse_event_follow_up(
            user=request.user, event=event, note=form.data.get("note", "")
        )
    except ValidationFailed as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Follow-up added."))
    return redirect("safety_event_detail", code=event.code)


@login_required
@require_POST
@access.staff(Capability.SIGN_CLINICAL)
def adverse_event_sign_off(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    event = selectors.adverse_event_get(user=request.user, code=code)
    require(request.user, Capability.SIGN_CLINICAL, event.participant.site)
    try:
        services.adverse_event_sign_off(
            user=request.user, event=event, password=request.POST.get("password", "")
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Signed off."))
    return redirect("safety_event_detail", code=event.code)


@login_required
@access.staff()
def clock_dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    show_all = request.GET.get("all") == "1"
    rows = selectors.clock_rows(user=request.user, include_closed=show_all)
    return render(
        request,
        "safety/clocks.html",
        {
            "rows": rows,
            "summary": selectors.clock_summary(
                rows if show_all else selectors.clock_rows(user=request.user, include_closed=True)
            ),
            "show_all": show_all,
            "states": c.ClockState,
        },
    )


@login_required
@require_POST
@access.staff(Capability.REPORT_SAFETY)
def clock_submit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    clock = selectors.clock_get(user=request.user, pk=pk)
    site = clock.event.participant.site
    require(request.user, Capability.REPORT_SAFETY, site)
    form = forms.ClockSubmitForm(request.POST, tz_name=site.time_zone)
    if not form.is_valid():
        messages.error(request, _("Give the date and time the report was submitted."))
    else:
        try:
            services.clock_submit(
                user=request.user,
                clock=clock,
                submitted_at=form.cleaned_data["submitted_at"],
                reference=form.cleaned_data["reference"],
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Submission recorded."))
    return redirect("safety_event_detail", code=clock.event.code)


@login_required
@access.staff()
def dsmb(request: AuthenticatedHttpRequest) -> HttpResponse:
    require(request.user, Capability.VIEW)
    grouping = request.GET.get("by", c.DsmbGrouping.ARM)
    report = selectors.dsmb_report(user=request.user, grouping=grouping)
    return render(
        request,
        "safety/dsmb.html",
        {
            "report": report,
            "groupings": c.DsmbGrouping.choices,
            "rules": selectors.stopping_rule_states(user=request.user),
            "grades": c.Grade.values,
        },
    )


@login_required
@access.staff()
def review_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    status = request.GET.get("status", c.ReviewStatus.OPEN)
    return render(
        request,
        "safety/reviews.html",
        {
            "tasks": selectors.review_tasks(user=request.user, status=status),
            "status": status,
            "close_form": forms.ReviewCloseForm(),
        },
    )


@login_required
@require_POST
@access.staff(Capability.SIGN_CLINICAL)
def review_close(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    task = selectors.review_task_get(user=request.user, pk=pk)
    require(request.user, Capability.SIGN_CLINICAL, task.participant.site)
    form = forms.ReviewCloseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the outcome of the review."))
        return redirect("safety_review_list")
    event = None
    code = form.cleaned_data["adverse_event"].strip()
    if code:
        try:
            event = selectors.adverse_event_get(user=request.user, code=code)
        except NotFound:
            messages.error(request, _("No adverse event %(code)s.") % {"code": code})
            return redirect("safety_review_list")
    try:
        services.review_task_close(
            user=request.user,
            task=task,
            outcome=form.cleaned_data["outcome"],
            note=form.cleaned_data["note"],
            adverse_event=event,
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Review closed."))
    return redirect("safety_review_list")
