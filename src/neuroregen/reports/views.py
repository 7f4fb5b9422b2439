"""Report pages. Thin: parse, call one service or selector, render (HTML or PDF)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from neuroregen.core import access
from neuroregen.core.audit import history_rows
from neuroregen.core.errors import DomainError, NotPermitted
from neuroregen.core.http import AuthenticatedHttpRequest
from neuroregen.core.permissions import has_capability, require
from neuroregen.core.roles import Capability
from neuroregen.core.scoping import is_family
from neuroregen.evidence import cache as evidence_cache
from neuroregen.evidence.selectors import protocols_for
from neuroregen.participants.selectors import participant_get
from neuroregen.reports import choices as c
from neuroregen.reports import forms, queue, selectors, services, tasks
from neuroregen.reports.models import FamilyReport
from neuroregen.reports.pdf import render_pdf
from neuroregen.reports.program import build_program_report
from neuroregen.reports.wording import family_view


def _require_staff(user: Any) -> None:
    """Staff pages: a family account is refused even for its own child."""
    if not selectors.is_staff_viewer(user):
        raise NotPermitted()


def _pdf_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def _reader_language(request: AuthenticatedHttpRequest, report: FamilyReport) -> str:
    """Families read in their own language; staff see the report in the family's language
    (what the clinician signs is what the family reads) and may preview another (?lang=)."""
    languages = {code for code, _name in settings.LANGUAGES}
    if is_family(request.user) and not selectors.is_staff_viewer(request.user):
        return request.user.reading_language()
    wanted = request.GET.get("lang", "")
    return wanted if wanted in languages else selectors.family_language(report.participant)


def _family_context(report: FamilyReport) -> dict[str, Any]:
    return {
        "report": report,
        "v": family_view(report.content),
        "synthetic": report.synthetic,
        "signature": selectors.release_signature(report),
    }


# --- staff: family reports --------------------------------------------------------------


@login_required
@access.staff()
def report_index(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_staff(request.user)
    status = request.GET.get("status", "")
    if status not in c.ReportStatus.values:
        status = ""
    return render(
        request,
        "reports/index.html",
        {
            "reports": selectors.report_list(user=request.user, status=status)[:300],
            "status": status,
            "statuses": c.ReportStatus.choices,
        },
    )


@login_required
@access.staff()
def child_reports(request: AuthenticatedHttpRequest, study_code: str) -> HttpResponse:
    _require_staff(request.user)
    participant = participant_get(user=request.user, study_code=study_code)
    form = forms.DraftForm(request.POST or None)
    if request.method == "POST":
        require(request.user, Capability.MANAGE_PARTICIPANT, participant.site)
        if form.is_valid():
            try:
                report = services.family_report_draft(
                    user=request.user, participant=participant, phase=form.cleaned_data["phase"]
                )
            except DomainError as error:
                messages.error(request, error.message)
            else:
                return redirect("report_detail", pk=report.pk)
    return render(
        request,
        "reports/child.html",
        {
            "participant": participant,
            "form": form,
            "reports": selectors.reports_for(user=request.user).filter(participant=participant),
            "invite_form": forms.InviteForm(initial={"language": participant.preferred_language}),
            "can_manage": has_capability(
                request.user, Capability.MANAGE_PARTICIPANT, participant.site
            ),
        },
    )


@login_required
@access.staff(Capability.MANAGE_PARTICIPANT)
def family_invite(request: AuthenticatedHttpRequest, study_code: str) -> HttpResponse:
    _require_staff(request.user)
    participant = participant_get(user=request.user, study_code=study_code)
    require(request.user, Capability.MANAGE_PARTICIPANT, participant.site)
    form = forms.InviteForm(
        request.POST or None, initial={"language": participant.preferred_language}
    )
    link = None
    request_sent = None
    if request.method == "POST" and form.is_valid():
        try:
            invitation, token = services.family_invite_create(
                user=request.user, participant=participant, **form.cleaned_data
            )
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            if token is None:
                request_sent = invitation
            else:
                link = request.build_absolute_uri(reverse("family_invitation", args=[token]))
    return render(
        request,
        "reports/invite.html",
        {"participant": participant, "form": form, "link": link, "request_sent": request_sent},
    )


@login_required
@access.staff()
def report_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    _require_staff(request.user)
    report = selectors.report_get(user=request.user, pk=pk)
    language = _reader_language(request, report)
    # The whole report body, not only its data, is rendered in the family's language: the
    # page around it stays in the clinician's.
    with translation.override(language):
        body = _family_context(report)
        body_html = render_to_string("reports/_family_body.html", body, request=request)
    return render(
        request,
        "reports/detail.html",
        {
            **body,
            "body_html": body_html,
            "edit_form": forms.EditForm(
                initial={"clinician_note": report.clinician_note, "row_version": report.row_version}
            ),
            "release_form": forms.ReleaseForm(initial={"row_version": report.row_version}),
            "correct_form": forms.CorrectForm(),
            "can_manage": has_capability(request.user, Capability.MANAGE_PARTICIPANT, report.site),
            "can_release": has_capability(request.user, Capability.SIGN_CLINICAL, report.site),
            "history": history_rows(report),
            "preview_language": language,
        },
    )


def _post_action(
    request: AuthenticatedHttpRequest,
    pk: int,
    action: Callable[[FamilyReport, dict[str, Any]], FamilyReport],
    form_class: type[forms.forms.Form] | None,
    done: str,
) -> HttpResponse:
    _require_staff(request.user)
    report = selectors.report_get(user=request.user, pk=pk)
    require(request.user, Capability.MANAGE_PARTICIPANT, report.site)
    data: dict[str, Any] = {}
    if form_class is not None:
        form = form_class(request.POST)
        if not form.is_valid():
            messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
            return redirect("report_detail", pk=report.pk)
        data = form.cleaned_data
    try:
        result = action(report, data)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("report_detail", pk=report.pk)
    messages.success(request, done)
    return redirect("report_detail", pk=result.pk)


@login_required
@require_POST
@access.staff(Capability.MANAGE_PARTICIPANT)
def report_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _post_action(
        request,
        pk,
        lambda r, d: services.family_report_edit(
            user=request.user,
            report=r,
            clinician_note=d["clinician_note"],
            reason=d["reason"],
            expected_version=d["row_version"],
        ),
        forms.EditForm,
        _("Draft saved."),
    )


@login_required
@require_POST
@access.staff(Capability.MANAGE_PARTICIPANT)
def report_refresh(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _post_action(
        request,
        pk,
        lambda r, d: services.family_report_refresh(
            user=request.user, report=r, reason="snapshot refreshed before review"
        ),
        None,
        _("The data were read again."),
    )


@login_required
@require_POST
@access.staff(Capability.MANAGE_PARTICIPANT)
def report_release(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _post_action(
        request,
        pk,
        lambda r, d: services.family_report_release(
            user=request.user, report=r, password=d["password"], expected_version=d["row_version"]
        ),
        forms.ReleaseForm,
        _("Released to the family with your electronic signature."),
    )


@login_required
@require_POST
@access.staff(Capability.MANAGE_PARTICIPANT)
def report_correct(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _post_action(
        request,
        pk,
        lambda r, d: services.family_report_correct(
            user=request.user, report=r, reason=d["reason"]
        ),
        forms.CorrectForm,
        _("A corrected draft was made; it replaces the released version once released."),
    )


@login_required
@require_POST
@access.staff(Capability.MANAGE_PARTICIPANT)
def report_discard(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _post_action(
        request,
        pk,
        lambda r, d: services.family_report_discard(
            user=request.user, report=r, reason=request.POST.get("reason", "") or "discarded"
        ),
        None,
        _("Draft discarded."),
    )


# --- staff: program and DSMB reports -----------------------------------------------------


def _protocol_or_none(user: Any, pk: int | None) -> Any:
    if not pk:
        return None
    for protocol in protocols_for(user=user):
        if protocol.pk == pk:
            return protocol
    from neuroregen.core.errors import NotFound

    raise NotFound()


@login_required
@access.staff()
def program_index(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_staff(request.user)
    if request.method == "POST":
        form = forms.JobForm(request.POST)
        if form.is_valid():
            protocol = _protocol_or_none(request.user, form.cleaned_data.get("protocol"))
            job = services.report_job_create(
                user=request.user,
                kind=form.cleaned_data["kind"],
                protocol=protocol,
                language=translation.get_language() or "en",
            )
            tasks.enqueue(job)
            return redirect("report_job", pk=job.pk)
    return render(
        request,
        "reports/program_index.html",
        {
            "protocols": protocols_for(user=request.user),
            "jobs": selectors.jobs_for(user=request.user)[:20],
            "kinds": c.JobKind.choices,
        },
    )


@login_required
@access.staff()
def program_page(request: AuthenticatedHttpRequest, kind: str, pk: int = 0) -> HttpResponse:
    """The program or DSMB report as a web page (the PDF is built from the same template)."""
    _require_staff(request.user)
    if kind not in c.JobKind.values:
        from neuroregen.core.errors import NotFound

        raise NotFound()
    protocol = _protocol_or_none(request.user, pk)

    def body() -> str:
        report = build_program_report(user=request.user, kind=kind, protocol=protocol)
        return render_to_string("reports/_program_body.html", {"r": report})

    # The rendered report is kept in the shared analysis cache and rebuilt only when the data
    # (or the language) change: a warm visit neither analyses nor renders the report again.
    html = evidence_cache.cached(
        evidence_cache.scope_key(
            request.user, pk or "all", "report-html", kind, translation.get_language() or "en"
        ),
        body,
    )
    return render(
        request,
        "reports/program.html",
        {"body": mark_safe(html), "title": c.JobKind(kind).label},  # noqa: S308 - our template
    )


@login_required
@access.staff()
def report_job(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    _require_staff(request.user)
    job = selectors.job_get(user=request.user, pk=pk)
    if job.status == c.JobStatus.QUEUED and queue.uses_thread_worker():
        queue.wake_thread_worker()  # e.g. queued before the demo server was restarted
    template = "reports/_job.html" if getattr(request, "htmx", False) else "reports/job.html"
    return render(request, template, {"job": job})


@login_required
@access.staff()
def report_job_download(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    _require_staff(request.user)
    job = selectors.job_get(user=request.user, pk=pk)
    if job.status != c.JobStatus.DONE or not job.pdf:
        from neuroregen.core.errors import NotFound

        raise NotFound()
    return _pdf_response(bytes(job.pdf), job.filename)


# --- family portal (staff may open a report page to see what the family sees) ------------


@login_required
@access.family
def family_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not is_family(request.user):
        raise NotPermitted()
    children = selectors.family_children(user=request.user)
    with translation.override(request.user.reading_language()):
        rows = [
            {
                "child": child,
                "reports": selectors.family_reports(user=request.user, participant=child),
                "visits": selectors.upcoming_visits(user=request.user, participant=child),
                "questionnaires": selectors.pending_questionnaires(
                    user=request.user, participant=child
                ),
            }
            for child in children
        ]
        response = render(
            request,
            "family/home.html",
            {
                "rows": rows,
                "link_requests": services.family_link_requests_open(user=request.user),
                "language_form": forms.LanguageForm(
                    initial={"language": request.user.reading_language()}
                ),
            },
        )
    response["Content-Language"] = request.user.reading_language()
    return response


@login_required
@require_POST
@access.family
def family_link_respond(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The signed-in family accepts or declines a request to link another child."""
    accept = request.POST.get("action") == "accept"
    services.family_link_request_respond(user=request.user, invitation_id=pk, accept=accept)
    if accept:
        messages.success(request, _("The child is now linked to your account."))
    else:
        messages.info(request, _("The request was declined; nothing was linked."))
    return redirect("family_home")


@login_required
@access.staff(family=True)
def family_report(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    report = selectors.report_get(user=request.user, pk=pk)
    if not report.is_released:
        # Staff preview drafts on the staff page; this page shows what the family reads.
        raise NotPermitted()
    language = _reader_language(request, report)
    with translation.override(language):
        response = render(request, "family/report.html", _family_context(report))
    response["Content-Language"] = language
    return response


@login_required
@access.staff(family=True)
def family_report_pdf(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    report = selectors.report_get(user=request.user, pk=pk)
    if not report.is_released and not selectors.is_staff_viewer(request.user):
        raise NotPermitted()
    language = _reader_language(request, report)
    with translation.override(language):
        data = render_pdf("reports/pdf/family.html", _family_context(report))
    return _pdf_response(
        data,
        f"progress-{report.participant.study_code}-{report.phase}-v{report.version}-{language}.pdf",
    )


@login_required
@require_POST
@access.family
def family_language(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not is_family(request.user):
        raise NotPermitted()
    form = forms.LanguageForm(request.POST)
    if form.is_valid():
        services.family_language_set(user=request.user, language=form.cleaned_data["language"])
    return redirect("family_home")


@access.public
def family_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The one-time link: the guardian sets a password and is signed in."""
    services.invitation_resolve(token)  # refuses a used, revoked or expired link at once
    form = forms.AcceptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            family = services.invitation_accept(token=token, **form.cleaned_data)
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            login(request, family, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request,
                _(
                    "Your password is set. You may also switch on "
                    "two-factor sign-in for extra safety."
                ),
            )
            return redirect("family_home")
    return render(request, "family/invitation.html", {"form": form})
