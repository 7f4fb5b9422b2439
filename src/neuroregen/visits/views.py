"""Visit pages: participant timeline, visit record, site calendar, overdue list. Thin views."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from neuroregen.core import access
from neuroregen.core.audit import history_rows
from neuroregen.core.errors import DomainError, ValidationFailed
from neuroregen.core.http import AuthenticatedHttpRequest
from neuroregen.core.permissions import has_capability, require
from neuroregen.core.research_dates import date_view
from neuroregen.core.roles import Capability
from neuroregen.participants.selectors import participant_get
from neuroregen.protocols import timeline
from neuroregen.protocols.selectors import assignment_list_for, current_assignment
from neuroregen.visits import forms, selectors, services


@login_required
@access.staff()
def participant_timeline(request: AuthenticatedHttpRequest, study_code: str) -> HttpResponse:
    participant = participant_get(user=request.user, study_code=study_code)
    assignment = current_assignment(participant)
    site = participant.site
    schedule = selectors.participant_timeline(
        user=request.user, participant=participant, assignment=assignment
    )
    return render(
        request,
        "visits/timeline.html",
        {
            "p": participant,
            "site_now": timezone.now(),
            "assignment": assignment,
            "assignments": assignment_list_for(user=request.user, participant=participant),
            "timeline": schedule,
            "dates": date_view(request.user, participant, day_zero=schedule.day_zero),
            "can_manage": has_capability(request.user, Capability.MANAGE_PARTICIPANT, site),
            "day_zero_form": forms.DayZeroForm(
                initial={"day_zero": timeline.today_at(site.time_zone)}
            )
            if assignment is not None
            else None,
        },
    )


@login_required
@require_POST
@access.staff(Capability.MANAGE_PARTICIPANT)
def day_zero(request: AuthenticatedHttpRequest, study_code: str) -> HttpResponse:
    participant = participant_get(user=request.user, study_code=study_code)
    require(request.user, Capability.MANAGE_PARTICIPANT, participant.site)
    form = forms.DayZeroForm(request.POST)
    if form.is_valid():
        try:
            services.day_zero_record(
                user=request.user, participant=participant, **form.cleaned_data
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Day 0 recorded; visits anchored on it."))
    else:
        messages.error(request, _("Give a valid date and reason."))
    return redirect("visit_timeline", study_code=participant.study_code)


def _visit_page(request: AuthenticatedHttpRequest, visit: Any, **forms_: Any) -> HttpResponse:
    site = visit.participant.site
    can_manage = has_capability(request.user, Capability.MANAGE_PARTICIPANT, site)
    today = timeline.today_at(site.time_zone)
    context = {
        "v": visit,
        "p": visit.participant,
        "status": visit.status_on(today),
        "study_day_today": timeline.study_day(visit.assignment.anchor_day_zero, today)
        if visit.assignment.anchor_day_zero
        else None,
        "instruments": selectors.expected_instruments(visit),
        "biomarkers": selectors.expected_biomarkers(visit),
        "safety_checks": selectors.expected_safety_checks(visit),
        "can_manage": can_manage and visit.is_open,
        # Appointment moves and recordings, with reasons, for staff (not family accounts).
        "history": history_rows(visit)
        if can_manage or has_capability(request.user, Capability.VIEW_AUDIT, site)
        else None,
        "reschedule_form": forms.RescheduleForm(initial={"scheduled_for": visit.scheduled_for}),
        "done_form": forms.DoneForm(initial={"done_on": min(today, visit.window_close)}),
        "not_done_form": forms.NotDoneForm(),
    }
    context.update(forms_)
    return render(request, "visits/visit.html", context)


@login_required
@access.staff()
def visit_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _visit_page(request, selectors.visit_get(user=request.user, pk=pk))


def _visit_action(
    request: AuthenticatedHttpRequest,
    pk: int,
    form_class: Any,
    form_name: str,
    action: Any,
    done_message: str,
) -> HttpResponse:
    visit = selectors.visit_get(user=request.user, pk=pk)
    require(request.user, Capability.MANAGE_PARTICIPANT, visit.participant.site)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            action(user=request.user, visit=visit, **form.cleaned_data)
        except ValidationFailed as error:
            form.apply_domain_error(error)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, done_message)
            return redirect("visit_detail", pk=visit.pk)
    return _visit_page(request, visit, **{form_name: form})


@login_required
@require_POST
@access.staff(Capability.MANAGE_PARTICIPANT)
def visit_reschedule(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _visit_action(
        request,
        pk,
        forms.RescheduleForm,
        "reschedule_form",
        services.visit_reschedule,
        _("Appointment moved."),
    )


@login_required
@require_POST
@access.staff(Capability.MANAGE_PARTICIPANT)
def visit_done(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _visit_action(
        request,
        pk,
        forms.DoneForm,
        "done_form",
        services.visit_record_done,
        _("Visit recorded as done."),
    )


@login_required
@require_POST
@access.staff(Capability.MANAGE_PARTICIPANT)
def visit_not_done(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _visit_action(
        request,
        pk,
        forms.NotDoneForm,
        "not_done_form",
        services.visit_record_not_done,
        _("Visit recorded as not done."),
    )


@login_required
@access.staff()
def site_calendar(request: AuthenticatedHttpRequest) -> HttpResponse:
    require(request.user, Capability.VIEW)
    sites = selectors.calendar_sites(user=request.user)
    form = forms.CalendarFilterForm(request.GET or None, sites=sites)
    data = form.cleaned_data if form.is_valid() else {}
    start = data.get("start") or timeline.today_at("UTC")
    return render(
        request,
        "visits/calendar.html",
        {
            "form": form,
            "start": start,
            "days": selectors.site_calendar(
                user=request.user, start=start, site=data.get("site", "")
            ),
        },
    )


@login_required
@access.staff()
def overdue_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    require(request.user, Capability.VIEW)
    sites = selectors.calendar_sites(user=request.user)
    form = forms.CalendarFilterForm(request.GET or None, sites=sites)
    data = form.cleaned_data if form.is_valid() else {}
    return render(
        request,
        "visits/overdue.html",
        {
            "form": form,
            "rows": selectors.overdue_visits(user=request.user, site=data.get("site", "")),
        },
    )
