"""Instrument pages: catalogue, dictionary import/export, data entry at a visit, parent links,
expected-versus-received, and data-quality queries. Thin: parse, call a service, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from neuroregen.core import access
from neuroregen.core.audit import history_rows
from neuroregen.core.errors import DomainError, NotFound, ReasonRequired, ValidationFailed
from neuroregen.core.paging import page_of
from neuroregen.core.permissions import has_capability, require, sites_with
from neuroregen.core.roles import Capability
from neuroregen.instruments import choices as c
from neuroregen.instruments import files, forms, selectors, services
from neuroregen.instruments.error_summary import summary_rows
from neuroregen.instruments.errors import (
    AnswersInvalid,
    DictionaryRejected,
    LinkUnusable,
    ResponseConflict,
)
from neuroregen.instruments.form_feedback import error_summary, progress
from neuroregen.instruments.redcap import UndecodableFile, decode_text
from neuroregen.visits.selectors import visit_get


@login_required
@access.staff()
def instrument_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "instruments/list.html",
        {
            "instruments": selectors.instrument_list(),
            "can_import": has_capability(request.user, Capability.MANAGE_INSTRUMENTS),
            "can_enter": has_capability(request.user, Capability.MANAGE_PARTICIPANT),
        },
    )


@login_required
@access.staff()
def instrument_detail(request: HttpRequest, code: str) -> HttpResponse:
    instrument = selectors.instrument_get(code)
    return render(
        request,
        "instruments/detail.html",
        {
            "instrument": instrument,
            "fields": instrument.fields.all(),
            "scores": instrument.scores.all(),
        },
    )


@login_required
@access.staff()
def dictionary_export(request: HttpRequest, code: str) -> HttpResponse:
    instrument = selectors.instrument_get(code)
    response = HttpResponse(
        services.dictionary_export(instrument=instrument), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{instrument.code}_dictionary.csv"'
    return response


@login_required
@access.staff(Capability.MANAGE_INSTRUMENTS)
def dictionary_import(request: HttpRequest) -> HttpResponse:
    require(request.user, Capability.MANAGE_INSTRUMENTS)
    form = forms.DictionaryUploadForm(request.POST or None, request.FILES or None)
    problems: list[Any] = []
    if request.method == "POST" and form.is_valid():
        raw = form.cleaned_data["file"].read()
        try:
            text, _encoding = decode_text(raw)
        except UndecodableFile as error:
            form.add_error(
                "file", _("The file cannot be read as text: %(problem)s") % {"problem": error}
            )
        else:
            try:
                imported = services.dictionary_import(
                    user=request.user,
                    text=text,
                    title=form.cleaned_data["title"],
                    replace=form.cleaned_data["replace"],
                )
            except DictionaryRejected as error:
                problems = error.problems
            else:
                messages.success(
                    request,
                    _("Imported: %(codes)s.") % {"codes": ", ".join(i.code for i in imported)},
                )
                return redirect("instrument_list")
    return render(request, "instruments/import.html", {"form": form, "problems": problems})


# --- visit data entry ----------------------------------------------------------------------


@login_required
@access.staff()
def visit_forms(request: HttpRequest, visit_id: int) -> HttpResponse:
    visit = visit_get(user=request.user, pk=visit_id)
    site = visit.participant.site
    return render(
        request,
        "instruments/visit_forms.html",
        {
            "visit": visit,
            "rows": selectors.visit_forms(user=request.user, visit=visit),
            "can_enter": has_capability(request.user, Capability.MANAGE_PARTICIPANT, site),
            "can_lab": has_capability(request.user, Capability.LAB_WRITE, site),
            "can_audit": has_capability(request.user, Capability.VIEW_AUDIT, site),
            "link_form": forms.LinkForm(initial={"language": visit.participant.preferred_language}),
        },
    )


def _file_rows(fields: list[Any], response: Any, errors: dict[str, str]) -> list[dict[str, Any]]:
    stored = selectors.response_files(response)
    return [
        {"field": f, "current": stored.get(f.field_name), "error": errors.get(f.field_name, "")}
        for f in fields
        if f.field_type == "file"
    ]


def _entry_context(
    request: HttpRequest,
    visit: Any,
    instrument: Any,
    response: Any,
    *,
    answers: dict,
    missing: dict,
    errors: dict,
    meta: Any,
    conflict: ResponseConflict | None = None,
    refused: AnswersInvalid | None = None,
) -> dict[str, Any]:
    fields = list(instrument.fields.all())
    language = meta.data.get("language") if meta.is_bound else meta.initial.get("language", "en")
    site = visit.participant.site
    return {
        **error_summary(fields, refused, language or "en", staff=True),
        **progress(fields, answers, missing),
        "can_verify": bool(response and response.pk)
        and has_capability(request.user, Capability.VERIFY_FORM, site),
        "visit": visit,
        "instrument": instrument,
        "response": response,
        "meta": meta,
        "fields": forms.field_views(fields, answers, missing, errors, language or "en"),
        "missing_codes": c.MissingCode.choices,
        "staff": True,
        "conflict": conflict,
        "score_rows": [
            (s, (response.scores or {}).get(s.code) or {}) for s in instrument.scores.all()
        ]
        if response
        else [],
        "error_summary": summary_rows(meta, fields, errors) if meta.is_bound else [],
        # Once complete, a change needs a reason: the whole form is saved then, not each item.
        "item_url": "" if "reason" in meta.fields else request.path.rstrip("/") + "/item/",
        "preview_url": request.path.rstrip("/") + "/preview/",
        "live": forms.needs_live(fields, survey=False),
        "file_rows": _file_rows(fields, response, errors),
        "can_audit": has_capability(request.user, Capability.VIEW_AUDIT, visit.participant.site),
        "can_open_files": has_capability(
            request.user, Capability.VIEW_IDENTITY, visit.participant.site
        ),
        "file_accept": ",".join(f".{e}" for e in files.ALLOWED),
        "file_limit": files.max_bytes() // 2**20,
    }


@login_required
@access.staff(Capability.MANAGE_PARTICIPANT)
def response_entry(request: HttpRequest, visit_id: int, code: str) -> HttpResponse:
    visit = visit_get(user=request.user, pk=visit_id)
    require(request.user, Capability.MANAGE_PARTICIPANT, visit.participant.site)
    instrument = selectors.instrument_get(code)
    response = selectors.response_for(user=request.user, visit=visit, code=code)
    reason_required = selectors.needs_reason(response)
    initial = {
        "respondent": response.respondent if response else c.Respondent.CLINICIAN,
        "language": response.language if response else visit.participant.preferred_language,
        "answered_on": (
            response.answered_on
            if response and response.answered_on
            else selectors.today_for(visit.participant)
        ),
        "row_version": response.row_version if response else None,
    }
    meta = forms.ResponseMetaForm(
        request.POST or None, initial=initial, reason_required=reason_required
    )
    fields = list(instrument.fields.all())
    answers = dict(response.answers) if response else {}
    missing = dict(response.missing) if response else {}
    errors: dict[str, str] = {}
    conflict = None
    refused: AnswersInvalid | None = None
    if request.method == "POST":
        answers, missing = forms.answers_from_post(fields, request.POST, with_missing=True)
        # Files are checked before anything is saved, so a refused file changes nothing.
        uploads, errors = forms.files_from_post(fields, request.FILES)
        if meta.is_valid() and not errors:
            try:
                if response is None:
                    response = services.response_start(
                        user=request.user,
                        visit=visit,
                        instrument=instrument,
                        respondent=meta.cleaned_data["respondent"],
                        language=meta.cleaned_data["language"],
                    )
                # A form first opened empty was seen at version 1: if someone else started
                # and saved it meanwhile, this save is a conflict, not an overwrite.
                expected = meta.cleaned_data["row_version"] or 1
                response = services.response_save(
                    user=request.user,
                    response=response,
                    answers=answers,
                    missing=missing,
                    complete=request.POST.get("action") == "complete",
                    verify=request.POST.get("action") == "verify",
                    respondent=meta.cleaned_data["respondent"],
                    language=meta.cleaned_data["language"],
                    answered_on=meta.cleaned_data["answered_on"],
                    expected_version=expected,
                    reason=meta.cleaned_data.get("reason", ""),
                )
                for name, checked in uploads.items():
                    services.response_file_store(
                        user=request.user,
                        response=response,
                        field_name=name,
                        upload=checked,
                        reason=meta.cleaned_data.get("reason", ""),
                    )
            except ResponseConflict as error:
                conflict = error
                # The user's answers stay on screen; saving again now overwrites knowingly.
                data = request.POST.copy()
                data["row_version"] = str(error.current_version)
                meta = forms.ResponseMetaForm(
                    data, initial=initial, reason_required=reason_required
                )
                meta.is_valid()
            except AnswersInvalid as error:
                errors = error.errors
                refused = error
            except ReasonRequired as error:
                meta.add_error("reason" if "reason" in meta.fields else None, error.message)
            except ValidationFailed as error:
                if error.field in {f.field_name for f in fields}:
                    errors = {error.field: error.message}
                else:
                    meta.add_error(None, error.message)
            except DomainError as error:
                meta.add_error(None, error.message)
            else:
                messages.success(request, _("Saved."))
                return redirect("instrument_visit_forms", visit_id=visit.pk)
    context = _entry_context(
        request,
        visit,
        instrument,
        response,
        answers=answers,
        missing=missing,
        errors=errors,
        meta=meta,
        conflict=conflict,
        refused=refused,
    )
    status = 409 if conflict else 200
    return render(request, "instruments/entry.html", context, status=status)


@login_required
@access.staff(Capability.VIEW_IDENTITY)
def response_file_download(request: HttpRequest, pk: int) -> HttpResponse:
    """A stored file, only after a site-scoped lookup; always a download, never rendered.

    A file's contents cannot be pseudonymised (a scanned letter carries a name), so only those
    who may see identity at the child's site get it.
    """
    stored = selectors.response_file_get(user=request.user, pk=pk)
    require(request.user, Capability.VIEW_IDENTITY, stored.response.participant.site_id)
    try:
        data = files.path_of(stored.stored_as).read_bytes()
    except (OSError, ValidationFailed) as error:
        raise NotFound() from error
    download = HttpResponse(data, content_type=stored.content_type)
    # an attachment always gets a header; "or" only tells the type checker so
    download["Content-Disposition"] = content_disposition_header(True, stored.name) or "attachment"
    download["Cache-Control"] = "private, no-store"
    download["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return download


@login_required
@require_POST
@access.staff(Capability.MANAGE_PARTICIPANT)
def response_not_done(request: HttpRequest, visit_id: int, code: str) -> HttpResponse:
    visit = visit_get(user=request.user, pk=visit_id)
    require(request.user, Capability.MANAGE_PARTICIPANT, visit.participant.site)
    form = forms.NotDoneForm(request.POST)
    if form.is_valid():
        try:
            services.response_mark_not_done(
                user=request.user, visit=visit, instrument=code, reason=form.cleaned_data["reason"]
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.info(request, _("Recorded as not done."))
    else:
        messages.error(request, _("Say why the form was not done."))
    return redirect("instrument_visit_forms", visit_id=visit.pk)


@login_required
@require_POST
@access.staff(Capability.MANAGE_PARTICIPANT)
def link_create(request: HttpRequest, visit_id: int, code: str) -> HttpResponse:
    visit = visit_get(user=request.user, pk=visit_id)
    require(request.user, Capability.MANAGE_PARTICIPANT, visit.participant.site)
    form = forms.LinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a language and a validity of 1 to 30 days."))
        return redirect("instrument_visit_forms", visit_id=visit.pk)
    try:
        link, token = services.link_create(
            user=request.user, visit=visit, instrument=code, **form.cleaned_data
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("instrument_visit_forms", visit_id=visit.pk)
    url = request.build_absolute_uri(f"/instruments/s/{token}/")
    return render(
        request, "instruments/link_created.html", {"visit": visit, "link": link, "url": url}
    )


@login_required
@access.staff(Capability.VIEW_AUDIT)
def response_history(request: HttpRequest, pk: int) -> HttpResponse:
    response = selectors.response_get(user=request.user, pk=pk)
    require(request.user, Capability.VIEW_AUDIT, response.participant.site)
    file_histories = [
        (stored, history_rows(stored)) for stored in response.files.order_by("field_name")
    ]
    return render(
        request,
        "instruments/history.html",
        {"response": response, "rows": history_rows(response), "file_histories": file_histories},
    )


# --- parent link (no account) -------------------------------------------------------------


@access.public
def survey(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = services.link_resolve(token)
    except LinkUnusable as error:
        return render(
            request, "instruments/survey_closed.html", {"error": error}, status=error.status
        )
    response = link.response
    instrument = response.instrument
    language = link.language if link.language in instrument.languages else "en"
    fallback = language != link.language
    fields = list(instrument.fields.all())
    answers = dict(response.answers)
    errors: dict[str, str] = {}
    refused: AnswersInvalid | None = None
    with translation.override(link.language):
        if request.method == "POST":
            answers, _missing = forms.answers_from_post(fields, request.POST, with_missing=False)
            submit = request.POST.get("action") == "submit"
            try:
                services.link_save(token=token, answers=answers, submit=submit)
            except AnswersInvalid as error:
                errors = error.errors
                refused = error
            except LinkUnusable as error:
                return render(
                    request, "instruments/survey_closed.html", {"error": error}, status=error.status
                )
            else:
                if submit:
                    return render(
                        request, "instruments/survey_done.html", {"instrument": instrument}
                    )
                messages.success(
                    request,
                    _(
                        "Your answers are saved. You can close this page and "
                        "come back with the same link."
                    ),
                )
                return redirect("instrument_survey", token=token)
        return render(
            request,
            "instruments/survey.html",
            {
                "instrument": instrument,
                "link": link,
                "fallback": fallback,
                "fields": forms.field_views(fields, answers, {}, errors, language),
                "staff": False,
                **progress(fields, answers, {}),
                **error_summary(fields, refused, language, staff=False),
                "live_url": f"/instruments/s/{token}/live/",
                "live": forms.needs_live(fields, survey=True),
            },
        )


@require_POST
@access.public
def survey_live(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = services.link_resolve(token)
    except LinkUnusable as error:
        return HttpResponse(error.message, status=error.status)
    instrument = link.response.instrument
    fields = list(instrument.fields.all())
    answers, _missing = forms.answers_from_post(fields, request.POST, with_missing=False)
    language = link.language if link.language in instrument.languages else "en"
    return render(
        request,
        "instruments/_fields.html",
        {"fields": forms.field_views(fields, answers, {}, {}, language), "staff": False},
    )


# --- expected vs received, data quality ----------------------------------------------------


@login_required
@access.staff()
def outstanding(request: HttpRequest) -> HttpResponse:
    site = request.GET.get("site", "")
    items, grid = selectors.outstanding_forms(user=request.user, site=site)
    codes = sorted({code for counts in grid.values() for code in counts})
    return render(
        request,
        "instruments/outstanding.html",
        {
            "items": items,
            "grid": grid,
            "codes": codes,
            "site": site,
            "sites": sites_with(request.user, Capability.VIEW),
        },
    )


@login_required
@access.staff()
def query_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    site = request.GET.get("site", "")
    queries = selectors.query_list(user=request.user, status=status, site=site)
    return render(
        request,
        "instruments/queries.html",
        {
            "queries": page_of(request, queries),
            "status": status,
            "site": site,
            "statuses": c.QueryStatus.choices,
            "sites": sites_with(request.user, Capability.VIEW),
            "can_run": has_capability(request.user, Capability.MANAGE_PARTICIPANT),
        },
    )


@login_required
@access.staff()
def query_detail(request: HttpRequest, pk: int) -> HttpResponse:
    query = selectors.query_get(user=request.user, pk=pk)
    site = query.participant.site
    form = forms.QueryActionForm(request.POST or None, initial={"row_version": query.row_version})
    if request.method == "POST":
        require(request.user, Capability.MANAGE_PARTICIPANT, site)
        if form.is_valid():
            try:
                services.query_act(
                    user=request.user,
                    query=query,
                    action=form.cleaned_data["action"],
                    text=form.cleaned_data["text"],
                    expected_version=form.cleaned_data["row_version"],
                )
            except DomainError as error:
                if error.status == 403:
                    raise
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Recorded."))
                return redirect("instrument_query_detail", pk=query.pk)
    return render(
        request,
        "instruments/query_detail.html",
        {
            "query": query,
            "events": query.events.select_related("author"),
            "form": form,
            "can_act": has_capability(request.user, Capability.MANAGE_PARTICIPANT, site),
            "can_close": has_capability(request.user, Capability.CLOSE_QUERY, site),
        },
    )


@login_required
@require_POST
@access.staff(Capability.MANAGE_PARTICIPANT)
def quality_run(request: HttpRequest) -> HttpResponse:
    opened = services.quality_run_batch(user=request.user)
    messages.info(request, _("Checks run: %(n)s new queries.") % {"n": opened})
    return redirect("instrument_query_list")
