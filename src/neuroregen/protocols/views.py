"""Protocol pages (administrators) and assignment pages (investigators). Thin views."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from neuroregen.core import access
from neuroregen.core.audit import history_rows
from neuroregen.core.errors import DomainError, ValidationFailed
from neuroregen.core.http import AuthenticatedHttpRequest
from neuroregen.core.permissions import has_capability, require
from neuroregen.core.roles import Capability
from neuroregen.core.services import signatures_for
from neuroregen.participants.selectors import participant_get
from neuroregen.protocols import forms, selectors, services
from neuroregen.protocols.choices import AssignmentStatus
from neuroregen.protocols.rules import FIELDS as rule_fields
from neuroregen.protocols.rules import show
from neuroregen.protocols.visit_choices import SafetyCheck


def _form_error(form: Any, error: DomainError) -> None:
    for message in getattr(error, "errors", None) or [error.message]:
        form.add_error(None, message)


@login_required
@access.staff()
def protocol_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    require(request.user, Capability.VIEW)
    return render(
        request,
        "protocols/list.html",
        {
            "protocols": selectors.protocol_list(),
            "can_manage": has_capability(request.user, Capability.MANAGE_PROTOCOL),
        },
    )


@login_required
@access.staff()
def protocol_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require(request.user, Capability.VIEW)
    protocol = selectors.protocol_get(pk=pk)
    schedule = list(protocol.visit_definitions.all())
    columns = sorted({code for d in schedule for code in d.instruments})
    columns += sorted({code for d in schedule for code in d.biomarkers})
    safety = sorted({code for d in schedule for code in d.safety_checks})
    safety_labels = dict(SafetyCheck.choices)
    matrix = [
        {
            "visit": d,
            "forms": [code in d.instruments or code in d.biomarkers for code in columns],
            "safety": [code in d.safety_checks for code in safety],
        }
        for d in schedule
    ]
    return render(
        request,
        "protocols/detail.html",
        {
            "protocol": protocol,
            "arms": protocol.arms.all(),
            "rules": protocol.rules.all(),
            "columns": columns,
            "safety_columns": [(code, safety_labels.get(code, code)) for code in safety],
            "matrix": matrix,
            "can_manage": has_capability(request.user, Capability.MANAGE_PROTOCOL),
            "amendments": protocol.amendments.all(),
            "history": history_rows(protocol)
            if has_capability(request.user, Capability.VIEW_AUDIT)
            else None,
        },
    )


@login_required
@access.staff()
def protocol_export(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require(request.user, Capability.VIEW)
    protocol = selectors.protocol_get(pk=pk)
    response = JsonResponse(selectors.protocol_export(protocol), json_dumps_params={"indent": 2})
    response["Content-Disposition"] = (
        f'attachment; filename="{protocol.code}-v{protocol.version}.json"'
    )
    return response


@login_required
@access.staff(Capability.MANAGE_PROTOCOL)
def protocol_import(request: AuthenticatedHttpRequest) -> HttpResponse:
    require(request.user, Capability.MANAGE_PROTOCOL)
    form = forms.ProtocolImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            protocol = services.protocol_import(
                user=request.user, data=form.cleaned_data["document"]
            )
        except ValidationFailed as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Imported %(p)s as a draft.") % {"p": protocol})
            return redirect("protocol_detail", pk=protocol.pk)
    return render(
        request,
        "protocols/form.html",
        {
            "form": form,
            "title": _("Import a protocol version"),
            "multipart": True,
        },
    )


@login_required
@access.staff(Capability.MANAGE_PROTOCOL)
def protocol_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require(request.user, Capability.MANAGE_PROTOCOL)
    protocol = selectors.protocol_get(pk=pk)
    initial = {"document": json.dumps(selectors.protocol_export(protocol), indent=2)}
    form = forms.ProtocolEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.protocol_update(
                user=request.user,
                protocol=protocol,
                data=form.cleaned_data["document"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("protocol_detail", pk=protocol.pk)
    return render(
        request,
        "protocols/form.html",
        {
            "form": form,
            "title": _("Edit %(p)s (draft)") % {"p": protocol},
            "protocol": protocol,
        },
    )


@login_required
@require_POST
@access.staff(Capability.MANAGE_PROTOCOL)
def protocol_activate(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require(request.user, Capability.MANAGE_PROTOCOL)
    protocol = selectors.protocol_get(pk=pk)
    try:
        services.protocol_activate(user=request.user, protocol=protocol)
    except DomainError as error:
        for message in getattr(error, "errors", None) or [error.message]:
            messages.error(request, message)
    else:
        messages.success(request, _("%(p)s is active.") % {"p": protocol})
    return redirect("protocol_detail", pk=protocol.pk)


@login_required
@access.staff(Capability.MANAGE_PROTOCOL)
def protocol_amend(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require(request.user, Capability.MANAGE_PROTOCOL)
    protocol = selectors.protocol_get(pk=pk)
    form = forms.AmendForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            amendment = services.protocol_amend(
                user=request.user, protocol=protocol, **form.cleaned_data
            )
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Draft amendment %(p)s created.") % {"p": amendment})
            return redirect("protocol_edit", pk=amendment.pk)
    return render(
        request,
        "protocols/form.html",
        {
            "form": form,
            "title": _("Amend %(p)s") % {"p": protocol},
            "protocol": protocol,
        },
    )


@login_required
@access.staff(Capability.MANAGE_PROTOCOL)
def protocol_close(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require(request.user, Capability.MANAGE_PROTOCOL)
    protocol = selectors.protocol_get(pk=pk)
    form = forms.ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.protocol_close(user=request.user, protocol=protocol, **form.cleaned_data)
        except DomainError as error:
            _form_error(form, error)
        else:
            return redirect("protocol_detail", pk=protocol.pk)
    return render(
        request,
        "protocols/form.html",
        {
            "form": form,
            "title": _("Close %(p)s") % {"p": protocol},
            "protocol": protocol,
            "danger": True,
        },
    )


# --- assignment ---------------------------------------------------------------------------------


@login_required
@access.staff(Capability.MANAGE_PARTICIPANT)
def assignment_start(request: AuthenticatedHttpRequest, study_code: str) -> HttpResponse:
    """Evaluate a protocol for the participant and record the recommendation."""
    participant = participant_get(user=request.user, study_code=study_code)
    require(request.user, Capability.MANAGE_PARTICIPANT, participant.site)
    form = forms.RecommendForm(request.POST or None, protocols=selectors.active_protocols())
    if request.method == "POST" and form.is_valid():
        try:
            assignment = services.assignment_recommend(
                user=request.user,
                participant=participant,
                protocol=form.cleaned_data["protocol"],
                facts=form.facts(),
            )
        except DomainError as error:
            _form_error(form, error)
        else:
            return redirect("assignment_detail", pk=assignment.pk)
    return render(
        request,
        "protocols/form.html",
        {
            "form": form,
            "p": participant,
            "title": _("Assign a protocol to %(code)s") % {"code": participant.study_code},
            "submit": _("Evaluate eligibility"),
        },
    )


def _profile_label(key: str) -> Any:
    """A rule field's translated name; any other profile key is a code and shown as one."""
    spec = rule_fields.get(key)
    return spec.label if spec is not None else format_html("<code>{}</code>", key)


@login_required
@access.staff()
def assignment_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assignment = selectors.assignment_get(user=request.user, pk=pk)
    site = assignment.participant.site
    can_sign = has_capability(request.user, Capability.SIGN_CLINICAL, site)
    confirm_form = None
    eligible_codes = [a["code"] for a in assignment.evaluation.get("arms", []) if a["eligible"]]
    if assignment.status == AssignmentStatus.RECOMMENDED and can_sign and eligible_codes:
        arms = assignment.protocol.arms.filter(code__in=eligible_codes)
        confirm_form = forms.ConfirmForm(
            request.POST or None,
            arms=arms,
            initial={"arm": assignment.recommended_arm},
        )
        if request.method == "POST" and confirm_form.is_valid():
            try:
                services.assignment_confirm(
                    user=request.user, assignment=assignment, **confirm_form.cleaned_data
                )
            except ValidationFailed as error:
                confirm_form.apply_domain_error(error)
            except DomainError as error:
                confirm_form.add_error(None, error.message)
            else:
                messages.success(request, _("Assignment confirmed and signed."))
                return redirect("visit_timeline", study_code=assignment.participant.study_code)
    elif request.method == "POST":
        require(request.user, Capability.SIGN_CLINICAL, site)
        messages.error(request, _("This assignment cannot be confirmed."))
    return render(
        request,
        "protocols/assignment.html",
        {
            "a": assignment,
            "p": assignment.participant,
            "evaluation": selectors.assignment_evaluation_worded(assignment),
            "profile_rows": [
                (
                    rule_fields[k].label if k in rule_fields else format_html("<code>{}</code>", k),
                    show(v, k),
                )
                for k, v in assignment.profile.items()
            ],
            "confirm_form": confirm_form,
            "decline_form": forms.ReasonForm() if confirm_form is not None else None,
            "signatures": signatures_for(assignment).select_related("signer"),
            "can_audit": has_capability(request.user, Capability.VIEW_AUDIT, site),
        },
    )


@login_required
@require_POST
@access.staff(Capability.SIGN_CLINICAL)
def assignment_decline(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assignment = selectors.assignment_get(user=request.user, pk=pk)
    require(request.user, Capability.SIGN_CLINICAL, assignment.participant.site)
    form = forms.ReasonForm(request.POST)
    if form.is_valid():
        try:
            services.assignment_decline(
                user=request.user, assignment=assignment, reason=form.cleaned_data["reason"]
            )
        except DomainError as error:
            messages.error(request, error.message)
    else:
        messages.error(request, _("Give the reason."))
    return redirect("assignment_detail", pk=assignment.pk)


@login_required
@access.staff(Capability.VIEW_AUDIT)
def assignment_history(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assignment = selectors.assignment_get(user=request.user, pk=pk)
    require(request.user, Capability.VIEW_AUDIT, assignment.participant.site)
    return render(
        request,
        "protocols/history.html",
        {
            "title": str(assignment),
            "rows": history_rows(assignment),
            "back": ("assignment_detail", assignment.pk),
        },
    )
