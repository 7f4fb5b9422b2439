"""Biomarker pages: list, record one result, import a CSV, one result. Thin."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from neuroregen.biomarkers import forms, selectors, services
from neuroregen.biomarkers.catalogue import ANALYTES
from neuroregen.core import access
from neuroregen.core.errors import DomainError
from neuroregen.core.http import AuthenticatedHttpRequest
from neuroregen.core.paging import page_of
from neuroregen.core.permissions import has_capability, require, sites_with
from neuroregen.core.roles import Capability
from neuroregen.participants.selectors import participant_get


@login_required
@access.staff()
def measurement_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    analyte = request.GET.get("analyte", "")
    site = request.GET.get("site", "")
    rows = selectors.measurement_list(
        user=request.user, analyte=analyte, site=site, study_code=request.GET.get("participant", "")
    )
    return render(
        request,
        "biomarkers/list.html",
        {
            "rows": page_of(request, rows),
            "analytes": ANALYTES.values(),
            "analyte": analyte,
            "site": site,
            "sites": sites_with(request.user, Capability.VIEW),
            "can_import": has_capability(request.user, Capability.LAB_WRITE),
        },
    )


@login_required
@access.staff()
def measurement_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    measurement = selectors.measurement_get(user=request.user, pk=pk)
    return render(request, "biomarkers/detail.html", {"m": measurement})


@login_required
@access.staff(Capability.LAB_WRITE)
def measurement_record(request: AuthenticatedHttpRequest, study_code: str) -> HttpResponse:
    participant = participant_get(user=request.user, study_code=study_code)
    require(request.user, Capability.LAB_WRITE, participant.site)
    visits = list(participant.visits.filter(cancelled_on__isnull=True).order_by("target_date"))
    initial = {
        "analyte": request.GET.get("analyte", "il6"),
        "unit": "pg/mL",
        "matrix": "plasma",
        "visit": request.GET.get("visit"),
    }
    form = forms.MeasurementForm(
        request.POST or None, initial=initial, visits=visits, tz_name=participant.site.time_zone
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        visit = next((v for v in visits if v.pk == data.pop("visit")), None)
        try:
            measurement = services.measurement_record(
                user=request.user, participant=participant, visit=visit, data=data
            )
        except services.MeasurementInvalid as error:
            for field, message in error.errors.items():
                form.add_error(field if field in form.fields else None, message)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("Recorded: %(m)s (%(flag)s).")
                % {"m": measurement, "flag": measurement.get_limit_flag_display()},
            )
            if visit:
                return redirect("instrument_visit_forms", visit_id=visit.pk)
            return redirect("biomarker_list")
    return render(request, "biomarkers/form.html", {"form": form, "participant": participant})


@login_required
@access.staff(Capability.LAB_WRITE)
def measurement_import(request: AuthenticatedHttpRequest) -> HttpResponse:
    require(request.user, Capability.LAB_WRITE)
    form = forms.ImportForm(request.POST or None, request.FILES or None)
    problems: list = []
    if request.method == "POST" and form.is_valid():
        try:
            text = form.cleaned_data["file"].read().decode("utf-8-sig")
        except UnicodeDecodeError:
            form.add_error("file", _("The file is not UTF-8 text."))
        else:
            try:
                created = services.measurements_import(user=request.user, text=text)
            except services.ImportRejected as error:
                problems = error.problems
            else:
                messages.success(request, _("Imported %(n)s results.") % {"n": len(created)})
                return redirect("biomarker_list")
    return render(
        request,
        "biomarkers/import.html",
        {"form": form, "problems": problems, "columns": services.IMPORT_COLUMNS},
    )
