"""Participant pages. Thin: parse, call one service or selector, render."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from neuroregen.core import access
from neuroregen.core.audit import history_rows
from neuroregen.core.errors import DomainError, ValidationFailed
from neuroregen.core.http import AuthenticatedHttpRequest
from neuroregen.core.paging import page_of
from neuroregen.core.permissions import has_capability, require, sites_with
from neuroregen.core.research_dates import date_view
from neuroregen.core.roles import Capability
from neuroregen.core.scoping import is_family
from neuroregen.core.time import site_today
from neuroregen.participants import forms, selectors, services


@login_required
@access.signed_in
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    if is_family(request.user) and not sites_with(request.user, Capability.VIEW).exists():
        return redirect("family_home")  # families have their own portal
    counts = selectors.dashboard_counts(user=request.user)
    sites: dict[str, dict] = {}
    for row in counts:
        entry = sites.setdefault(
            row["site__code"], {"name": row["site__name"], "by_status": {}, "total": 0}
        )
        entry["by_status"][row["status"]] = row["n"]
        entry["total"] += row["n"]
    return render(request, "participants/dashboard.html", {"sites": sites})


@login_required
@access.staff()
def participant_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    sites = sites_with(request.user, Capability.VIEW)
    filters = forms.ParticipantFilterForm(request.GET or None, sites=sites)
    data = filters.cleaned_data if filters.is_valid() else {}
    participants = selectors.participant_list(
        user=request.user,
        search=data.get("q", ""),
        status=data.get("status", ""),
        site=data.get("site", ""),
        severity=data.get("severity", ""),
    )
    template = (
        "participants/_table.html" if request.htmx else "participants/list.html"  # type: ignore[attr-defined]
    )
    return render(
        request,
        template,
        {
            "participants": page_of(request, participants),
            "filters": filters,
            "can_create": has_capability(request.user, Capability.MANAGE_PARTICIPANT),
            "can_search_identity": has_capability(request.user, Capability.VIEW_IDENTITY),
        },
    )


@login_required
@access.staff(Capability.VIEW_IDENTITY)
def participant_identity_search(request: AuthenticatedHttpRequest) -> HttpResponse:
    require(request.user, Capability.VIEW_IDENTITY)
    # Names and birth dates are posted, never put in a URL, so they stay out of access logs,
    # browser history and Referer headers; a search arriving in a URL is not run.
    in_url = sorted(set(request.GET) & set(forms.IdentitySearchForm.base_fields))
    form = forms.IdentitySearchForm(request.POST if request.method == "POST" else None)
    results = None
    if form.is_valid():
        results = list(
            selectors.participant_find_by_identity(user=request.user, **form.cleaned_data)
        )
    return render(
        request,
        "participants/identity_search.html",
        {"form": form, "results": results, "refused_in_url": bool(in_url)},
        status=400 if in_url else 200,
    )


@login_required
@access.staff(Capability.MANAGE_PARTICIPANT)
def participant_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    require(request.user, Capability.MANAGE_PARTICIPANT)
    sites = sites_with(request.user, Capability.MANAGE_PARTICIPANT)
    form = forms.ParticipantCreateForm(
        request.POST or None,
        sites=sites,
        initial={"screened_on": _first_site_today(sites), "site": sites.first()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            participant = services.participant_screen(
                user=request.user,
                site=form.cleaned_data["site"],
                identity=form.identity(),
                research=form.research(),
                screened_on=form.cleaned_data["screened_on"],
            )
        except ValidationFailed as error:
            form.apply_domain_error(error)
        else:
            messages.success(
                request, _("Registered %(code)s at screening.") % {"code": participant.study_code}
            )
            return redirect("participant_detail", study_code=participant.study_code)
    return render(
        request,
        "participants/form.html",
        {"form": form, "title": _("Register a child at screening")},
    )


@login_required
@access.staff()
def participant_detail(request: AuthenticatedHttpRequest, study_code: str) -> HttpResponse:
    participant = selectors.participant_get(user=request.user, study_code=study_code)
    site = participant.site
    identity = selectors.identity_get(user=request.user, participant=participant)
    if identity is not None:
        participant.identity = identity  # read once: the assent rule below needs it too
    return render(
        request,
        "participants/detail.html",
        {
            "p": participant,
            "dates": date_view(request.user, participant),
            "identity": identity,
            "consents": participant.consents.select_related("document", "recorded_by"),
            "withdrawals": participant.withdrawals.select_related("recorded_by"),
            "comorbidities": participant.comorbidities.all(),
            "anthropometry": participant.anthropometry.all()[:10],
            "can_manage": has_capability(request.user, Capability.MANAGE_PARTICIPANT, site),
            "can_consent": has_capability(request.user, Capability.RECORD_CONSENT, site),
            "can_audit": has_capability(request.user, Capability.VIEW_AUDIT, site),
            "can_report_safety": has_capability(request.user, Capability.REPORT_SAFETY, site),
            "assent_required": hasattr(participant, "identity")
            and services.assent_required(participant, site_today(participant)),
        },
    )


@login_required
@access.staff(Capability.MANAGE_PARTICIPANT)
def participant_edit(request: AuthenticatedHttpRequest, study_code: str) -> HttpResponse:
    participant = selectors.participant_get(user=request.user, study_code=study_code)
    require(request.user, Capability.MANAGE_PARTICIPANT, participant.site)
    form = forms.ParticipantEditForm(
        # The form edits a copy, so the service can still see what was there before.
        request.POST or None,
        instance=copy.copy(participant),
        initial={"row_version": participant.row_version},
    )
    if request.method == "POST" and form.is_valid():
        changes = {k: form.cleaned_data[k] for k in forms.ResearchFieldsForm.Meta.fields}
        changed = {k: v for k, v in changes.items() if getattr(participant, k) != v}
        try:
            services.participant_update(
                user=request.user,
                participant=participant,
                changes=changed,
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["row_version"],
            )
        except ValidationFailed as error:
            form.apply_domain_error(error)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("participant_detail", study_code=participant.study_code)
    return render(
        request,
        "participants/form.html",
        {
            "form": form,
            "title": _("Edit %(code)s") % {"code": participant.study_code},
            "p": participant,
        },
    )


@login_required
@access.staff(Capability.RECORD_CONSENT)
def consent_record(request: AuthenticatedHttpRequest, study_code: str) -> HttpResponse:
    participant = selectors.participant_get(user=request.user, study_code=study_code)
    require(request.user, Capability.RECORD_CONSENT, participant.site)
    form = forms.ConsentForm(request.POST or None, initial={"signed_on": site_today(participant)})
    if request.method == "POST" and form.is_valid():
        try:
            services.consent_record(user=request.user, participant=participant, **form.cleaned_data)
        except ValidationFailed as error:
            form.apply_domain_error(error)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Consent recorded."))
            return redirect("participant_detail", study_code=participant.study_code)
    return render(
        request,
        "participants/form.html",
        {
            "form": form,
            "title": _("Record consent or assent for %(code)s") % {"code": participant.study_code},
            "p": participant,
        },
    )


@login_required
@access.staff(Capability.RECORD_CONSENT)
def consent_withdraw(request: AuthenticatedHttpRequest, study_code: str) -> HttpResponse:
    participant = selectors.participant_get(user=request.user, study_code=study_code)
    require(request.user, Capability.RECORD_CONSENT, participant.site)
    form = forms.WithdrawalForm(
        request.POST or None, initial={"effective_on": site_today(participant)}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.consent_withdraw(
                user=request.user, participant=participant, **form.cleaned_data
            )
        except ValidationFailed as error:
            form.apply_domain_error(error)
        else:
            messages.warning(request, _("Withdrawal recorded; matching data entry is now blocked."))
            return redirect("participant_detail", study_code=participant.study_code)
    return render(
        request,
        "participants/form.html",
        {
            "form": form,
            "title": _("Record withdrawal for %(code)s") % {"code": participant.study_code},
            "p": participant,
            "danger": True,
        },
    )


@login_required
@require_POST
@access.staff(Capability.MANAGE_PARTICIPANT)
def participant_enrol(request: AuthenticatedHttpRequest, study_code: str) -> HttpResponse:
    participant = selectors.participant_get(user=request.user, study_code=study_code)
    try:
        services.participant_enrol(user=request.user, participant=participant)
    except ValidationFailed as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Enrolled."))
    return redirect("participant_detail", study_code=participant.study_code)


@login_required
@access.staff(Capability.VIEW_AUDIT)
def participant_history(request: AuthenticatedHttpRequest, study_code: str) -> HttpResponse:
    participant = selectors.participant_get(user=request.user, study_code=study_code)
    require(request.user, Capability.VIEW_AUDIT, participant.site)
    return render(
        request,
        "participants/history.html",
        {
            "p": participant,
            "rows": history_rows(
                participant,
                # identity-level: see neuroregen.participants.nda_guid
                masked=()
                if has_capability(request.user, Capability.VIEW_IDENTITY, participant.site)
                else ("nda_guid",),
            ),
        },
    )


def _first_site_today(sites: Any) -> Any:
    """The screening date offered first: today at the site preselected in the form."""
    site = sites.first()
    return site_today(site) if site is not None else None


def _service_form_page(
    request: AuthenticatedHttpRequest,
    study_code: str,
    *,
    capability: Capability,
    form_class: type,
    action: Any,
    title: str,
    success: str,
    initial: dict[str, Any] | Callable[[Any], dict[str, Any]] | None = None,
    danger: bool = False,
) -> HttpResponse:
    """A form page whose POST calls one participant service; shared by the small forms below.

    ``initial`` may be a function of the participant, for defaults such as the site's today.
    """
    participant = selectors.participant_get(user=request.user, study_code=study_code)
    require(request.user, capability, participant.site)
    if callable(initial):
        initial = initial(participant)
    form = form_class(request.POST or None, initial=initial or {})
    if request.method == "POST" and form.is_valid():
        try:
            action(participant, form.cleaned_data)
        except ValidationFailed as error:
            form.apply_domain_error(error)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, success)
            return redirect("participant_detail", study_code=participant.study_code)
    return render(
        request,
        "participants/form.html",
        {
            "form": form,
            "title": f"{title} — {participant.study_code}",
            "p": participant,
            "danger": danger,
        },
    )


@login_required
@access.staff(Capability.MANAGE_PARTICIPANT)
def anthropometry_record(request: AuthenticatedHttpRequest, study_code: str) -> HttpResponse:
    return _service_form_page(
        request,
        study_code,
        capability=Capability.MANAGE_PARTICIPANT,
        form_class=forms.AnthropometryForm,
        action=lambda p, data: services.anthropometry_record(
            user=request.user, participant=p, **data
        ),
        title=_("Record weight and height"),
        success=_("Measurement recorded."),
        initial=lambda p: {"measured_on": site_today(p)},
    )


@login_required
@access.staff(Capability.MANAGE_PARTICIPANT)
def comorbidity_record(request: AuthenticatedHttpRequest, study_code: str) -> HttpResponse:
    return _service_form_page(
        request,
        study_code,
        capability=Capability.MANAGE_PARTICIPANT,
        form_class=forms.ComorbidityForm,
        action=lambda p, data: services.comorbidity_record(
            user=request.user, participant=p, **data
        ),
        title=_("Record a comorbidity"),
        success=_("Comorbidity recorded."),
    )


@login_required
@access.staff(Capability.MANAGE_PARTICIPANT)
def participant_screen_fail(request: AuthenticatedHttpRequest, study_code: str) -> HttpResponse:
    return _service_form_page(
        request,
        study_code,
        capability=Capability.MANAGE_PARTICIPANT,
        form_class=forms.ScreenFailForm,
        action=lambda p, data: services.participant_screen_fail(
            user=request.user, participant=p, reason=data["reason"]
        ),
        title=_("Screen failure"),
        success=_("Recorded as screen failure."),
        danger=True,
    )


@login_required
@access.staff(Capability.MANAGE_PARTICIPANT, Capability.VIEW_IDENTITY)
def identity_edit(request: AuthenticatedHttpRequest, study_code: str) -> HttpResponse:
    participant = selectors.participant_get(user=request.user, study_code=study_code)
    identity = selectors.identity_get(user=request.user, participant=participant)
    if identity is None:
        require(request.user, Capability.VIEW_IDENTITY, participant.site)
    assert identity is not None  # noqa: S101 - require() raised otherwise
    initial = {f: getattr(identity, f) for f in services.IDENTITY_FIELDS}
    initial |= {"date_of_birth": identity.birth_date, "row_version": identity.row_version}

    def save(p: Any, data: dict[str, Any]) -> None:
        services.identity_update(
            user=request.user,
            participant=p,
            changes={k: v for k, v in data.items() if k not in ("reason", "row_version")},
            reason=data["reason"],
            expected_version=data["row_version"],
        )

    return _service_form_page(
        request,
        study_code,
        capability=Capability.MANAGE_PARTICIPANT,
        form_class=forms.IdentityEditForm,
        action=save,
        title=_("Correct identity"),
        success=_("Identity corrected."),
        initial=initial,
    )


@login_required
@access.staff(Capability.MANAGE_PARTICIPANT, Capability.VIEW_IDENTITY)
def nda_guid_edit(request: AuthenticatedHttpRequest, study_code: str) -> HttpResponse:
    participant = selectors.participant_get(user=request.user, study_code=study_code)
    # identity-level: see neuroregen.participants.nda_guid
    require(request.user, Capability.VIEW_IDENTITY, participant.site)
    return _service_form_page(
        request,
        study_code,
        capability=Capability.MANAGE_PARTICIPANT,
        form_class=forms.NdaGuidForm,
        action=lambda p, data: services.nda_guid_set(
            user=request.user, participant=p, guid=data["nda_guid"], reason=data["reason"]
        ),
        title=_("NDA GUID"),
        success=_("NDA GUID saved."),
        initial={"nda_guid": participant.nda_guid},
    )
