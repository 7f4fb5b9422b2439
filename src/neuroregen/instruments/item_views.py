"""The per-item save endpoint of staff data entry (``static/neuroregen/entry.js`` calls it).

One POST carries one field's answer (``field``, the value under the field's own name — several
for a checkbox — and ``missing``) with the form's respondent, language and answer date. The reply
is JSON: the new and the previous version of the response, the calculated values and which
questions the branching shows, so the page updates in place and is never drawn again.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import prefetch_related_objects
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_POST

from neuroregen.core import access
from neuroregen.core.errors import DomainError
from neuroregen.core.permissions import require
from neuroregen.core.roles import Capability
from neuroregen.instruments import entry, forms, selectors
from neuroregen.instruments.errors import AnswersInvalid
from neuroregen.instruments.item_save import response_item_save
from neuroregen.visits.selectors import visit_get


def _refused(error: DomainError, name: str) -> JsonResponse:
    if isinstance(error, AnswersInvalid):
        errors = {k: str(v) for k, v in error.errors.items()}
    else:
        errors = {getattr(error, "field", None) or name: str(error.message)}
    return JsonResponse({"saved": False, "errors": errors}, status=error.status)


@login_required
@require_POST
@access.staff(Capability.MANAGE_PARTICIPANT)
def response_item(request: HttpRequest, visit_id: int, code: str) -> JsonResponse:
    visit = visit_get(user=request.user, pk=visit_id)
    require(request.user, Capability.MANAGE_PARTICIPANT, visit.participant.site)
    instrument = selectors.instrument_get(code)
    # Read once here; the cleaning, scoring and data-quality rules all use these.
    prefetch_related_objects([instrument], "fields", "scores")
    name = request.POST.get("field", "")
    meta = forms.ResponseMetaForm(request.POST)
    if not meta.is_valid():
        errors = {
            k: " ".join(str(m) for m in v) for k, v in meta.errors.items() if k != "row_version"
        }
        if errors:
            return JsonResponse({"saved": False, "errors": errors}, status=422)
    values = [v.strip() for v in request.POST.getlist(name) if v.strip()]
    try:
        saved = response_item_save(
            user=request.user,
            visit=visit,
            instrument=instrument,
            field_name=name,
            value=values,
            missing_code=request.POST.get("missing", ""),
            respondent=meta.cleaned_data["respondent"],
            language=meta.cleaned_data["language"],
            answered_on=meta.cleaned_data["answered_on"],
        )
    except DomainError as error:
        if error.status in (403, 404):
            raise
        return _refused(error, name)
    return JsonResponse(
        {
            "saved": True,
            "field": name,
            "version": saved.response.row_version,
            "previous": saved.previous_version,
            "calcs": saved.calcs,
            "shown": saved.shown,
            "cleared": saved.cleared,
        }
    )


@login_required
@require_POST
@access.staff(Capability.MANAGE_PARTICIPANT)
def response_preview(request: HttpRequest, visit_id: int, code: str) -> JsonResponse:
    """Calculated values and shown questions for the answers on screen; nothing is saved.

    Used while a complete form is corrected (saved whole, with a reason), so the page still
    updates in place without being drawn again.
    """
    visit = visit_get(user=request.user, pk=visit_id)
    require(request.user, Capability.MANAGE_PARTICIPANT, visit.participant.site)
    fields = list(selectors.instrument_get(code).fields.all())
    answers: dict[str, object] = {}
    missing: dict[str, str] = {}
    for field in fields:
        name = field.field_name
        if field.field_type in entry.NO_INPUT:
            continue
        values = [v for v in request.POST.getlist(name) if v.strip()]
        if values:
            answers[name] = values if field.field_type == "checkbox" else values[-1].strip()
        if request.POST.get(f"{name}__missing"):
            missing[name] = request.POST[f"{name}__missing"]
    computed = entry.compute_calcs(fields, answers, missing)
    return JsonResponse(
        {
            "calcs": {
                f.field_name: computed.get(f.field_name, "")
                for f in fields
                if f.field_type == "calc"
            },
            "shown": [f.field_name for f in entry.shown_fields(fields, computed, missing)],
        }
    )
