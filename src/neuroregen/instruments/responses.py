"""Responses to instruments: start, save (with scoring and the stale-version check), not done,
and the files that answer file fields.

Each write is one transaction, checks the capability at the record's site and stamps the acting
user and reason into the audit trail.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from neuroregen.core.audit import stamp
from neuroregen.core.errors import InvalidTransition, ValidationFailed
from neuroregen.core.permissions import require
from neuroregen.core.roles import Capability
from neuroregen.instruments import choices as c
from neuroregen.instruments import completeness, entry, files, scoring
from neuroregen.instruments.dictionaries import instrument_get
from neuroregen.instruments.errors import (
    AnswersInvalid,
    FormIncomplete,
    ResponseConflict,
)
from neuroregen.instruments.models import (
    Field,
    Instrument,
    Response,
    ResponseFile,
    Score,
)
from neuroregen.instruments.prepared import score_dicts
from neuroregen.instruments.queries import quality_check_response
from neuroregen.participants import choices as pc
from neuroregen.participants.services import ensure_data_entry_allowed
from neuroregen.protocols import timeline


def _site_today(participant: Any) -> dt.date:
    return timeline.today_at(participant.site.time_zone)


def _score_defs(instrument: Instrument) -> list[Score]:
    return list(instrument.scores.all())


def _apply(
    response: Response,
    fields: list[Field],
    answers: dict[str, Any],
    missing: dict[str, str],
    *,
    finished: bool = False,
    codes_allowed: bool = True,
) -> None:
    """Clean, range-check and store the answers, computing calcs and scores. A ``finished``
    form (complete or verified) must also have every required item answered or coded; every
    problem is reported at once (:class:`FormIncomplete` / :class:`AnswersInvalid`)."""
    score_defs = _score_defs(response.instrument)
    stored, codes, errors = entry.clean_answers(fields, answers, missing)
    errors = {**completeness.range_errors(fields, stored, score_defs), **errors}
    computed = entry.compute_calcs(fields, stored, codes)
    lacking = completeness.missing_required(fields, computed, codes) if finished else []
    lacking = [f for f in lacking if f.field_name not in errors]  # answered, but not validly
    if lacking or errors:
        order = {f.field_name: i for i, f in enumerate(fields)}
        merged = {
            **completeness.missing_messages(lacking, codes_allowed=codes_allowed),
            **errors,
        }
        ordered = dict(sorted(merged.items(), key=lambda kv: order.get(kv[0], len(order))))
        if lacking:
            raise FormIncomplete([f.field_name for f in lacking], ordered)
        raise AnswersInvalid(ordered)
    response.answers = computed
    response.missing = codes
    response.scores = scoring.score_response(score_dicts(score_defs), response.answers, codes)


@transaction.atomic
def response_start(
    *,
    user: Any,
    visit: Any,
    instrument: Instrument | str,
    respondent: str = c.Respondent.CLINICIAN,
    language: str = "",
    source: str = c.ResponseSource.STAFF,
) -> Response:
    """The visit's response for the instrument, created (empty, in progress) if there is none."""
    participant = visit.participant
    require(user, Capability.MANAGE_PARTICIPANT, participant.site)
    if isinstance(instrument, str):
        instrument = instrument_get(instrument)
    found = Response.objects.filter(visit=visit, instrument=instrument).first()
    if found is not None:
        return found
    ensure_data_entry_allowed(participant, pc.DataEntryKind.CONTACT)
    if respondent not in c.Respondent.values:
        raise ValidationFailed(_("Unknown respondent."), field="respondent")
    response = Response(
        participant=participant,
        visit=visit,
        instrument=instrument,
        respondent=respondent,
        language=language or participant.preferred_language,
        source=source,
        entered_by=user,
    )
    stamp(response, user=user, reason="form started")
    response.save()
    return response


def _changes_since(response: Response, seen_version: int) -> list[dict[str, Any]]:
    """Field-level differences between the version a user saw and the stored one."""
    seen = response.history.filter(row_version=seen_version).order_by("-history_date").first()
    labels = {f.field_name: f.field_label for f in response.instrument.fields.all()}
    before = (seen.answers if seen else {}) or {}
    before_missing = (seen.missing if seen else {}) or {}
    changes = []
    for name in sorted(
        set(before) | set(response.answers) | set(before_missing) | set(response.missing)
    ):
        old = before_missing.get(name) or before.get(name)
        new = response.missing.get(name) or response.answers.get(name)
        if old != new:
            changes.append(
                {
                    "field": name,
                    "label": labels.get(name, name),
                    "yours_were_based_on": old,
                    "now": new,
                }
            )
    for attr in ("status", "respondent", "language", "answered_on"):
        old = getattr(seen, attr, None) if seen else None
        new = getattr(response, attr)
        if seen and old != new:
            changes.append({"field": attr, "label": attr, "yours_were_based_on": old, "now": new})
    last = response.history.order_by("-history_date").first()
    for change in changes:
        change["by"] = (
            str(last.history_user) if last and last.history_user else _("the family (link)")
        )
        change["when"] = last.history_date if last else None
    return changes


@transaction.atomic
def response_save(
    *,
    user: Any,
    response: Response,
    answers: dict[str, Any],
    missing: dict[str, str] | None = None,
    complete: bool = False,
    verify: bool = False,
    respondent: str | None = None,
    language: str | None = None,
    answered_on: dt.date | None = None,
    expected_version: int | None,
    reason: str = "",
) -> Response:
    """Save a form's answers (all visible answers: what is not given is blank).

    While a form is being entered for the first time no reason is asked; once it has been
    complete, every change needs one. A stale ``expected_version`` raises
    :class:`ResponseConflict` listing what the other person changed; nothing is saved.

    ``complete`` asks for status complete, ``verify`` for verified (a permitted role only).
    A complete or verified form stays so when saved without either, so it must keep every
    required item answered or coded; a verified form whose answers change goes back to
    complete, to be verified again.
    """
    require(user, Capability.MANAGE_PARTICIPANT, response.participant.site)
    if verify:
        require(user, Capability.VERIFY_FORM, response.participant.site)
    response = (
        Response.objects.select_for_update(of=("self",))
        .select_related("instrument", "participant__site")
        .get(pk=response.pk)
    )
    if expected_version is not None and response.row_version != expected_version:
        raise ResponseConflict(_changes_since(response, expected_version), response.row_version)
    on = answered_on or response.answered_on or _site_today(response.participant)
    ensure_data_entry_allowed(response.participant, pc.DataEntryKind.CONTACT, on=on)
    was_complete = response.history.filter(status__in=c.ResponseStatus.finished()).exists()
    if was_complete and not (reason or "").strip():
        from neuroregen.core.errors import ReasonRequired

        raise ReasonRequired(field="reason")
    if on > _site_today(response.participant):
        raise ValidationFailed(_("The answer date is in the future."), field="answered_on")
    fields = list(response.instrument.fields.all())
    before = (response.status, response.answers, response.missing)
    finished = verify or complete or response.status in c.ResponseStatus.finished()
    _apply(response, fields, answers, missing or {}, finished=finished)
    if respondent is not None:
        if respondent not in c.Respondent.values:
            raise ValidationFailed(_("Unknown respondent."), field="respondent")
        response.respondent = respondent
    if language is not None:
        response.language = language
    response.answered_on = on
    response.not_done_reason = ""
    unchanged = before[1:] == (response.answers, response.missing)
    if verify or (before[0] == c.ResponseStatus.VERIFIED and unchanged):
        response.status = c.ResponseStatus.VERIFIED
        response.completed_at = response.completed_at or timezone.now()
    elif finished:
        response.status = c.ResponseStatus.COMPLETE
        response.completed_at = response.completed_at or timezone.now()
    elif response.status == c.ResponseStatus.NOT_DONE:
        response.status = c.ResponseStatus.IN_PROGRESS
    response.entered_by = response.entered_by or user
    stamp(
        response,
        user=user,
        reason=reason
        if was_complete
        else (
            "first entry" if response.status in c.ResponseStatus.finished() else "entry in progress"
        ),
    )
    response.save()
    quality_check_response(response=response, user=user)
    return response


@transaction.atomic
def response_mark_not_done(
    *, user: Any, visit: Any, instrument: Instrument | str, reason: str
) -> Response:
    """Record that a form expected at a visit was not done, and why."""
    require(user, Capability.MANAGE_PARTICIPANT, visit.participant.site)
    if not (reason or "").strip():
        raise ValidationFailed(_("Say why the form was not done."), field="reason")
    response = response_start(user=user, visit=visit, instrument=instrument)
    response = Response.objects.select_for_update(of=("self",)).get(pk=response.pk)
    if response.status in c.ResponseStatus.finished():
        raise InvalidTransition(_("This form has been completed; edit it instead."))
    response.status = c.ResponseStatus.NOT_DONE
    response.not_done_reason = reason.strip()
    stamp(response, user=user, reason=f"not done: {reason.strip()}")
    response.save()
    return response


# --- files answering file fields ---------------------------------------------------------


def response_file_store(
    *, user: Any, response: Response, field_name: str, upload: Any, reason: str = ""
) -> ResponseFile:
    """Keep ``upload`` (an uploaded file, or one already passed through
    :func:`files.check`) as the answer to the file field ``field_name``.

    A second upload replaces the first: an edit of the same row, with the acting user and a
    reason in its history; the replaced bytes stay on disk so the history can still name them.
    As with answers, the reason is asked for once the form has been complete.
    """
    require(user, Capability.MANAGE_PARTICIPANT, response.participant.site)
    if not response.instrument.fields.filter(field_name=field_name, field_type="file").exists():
        raise ValidationFailed(
            _("'%(name)s' is not a file field of this form.") % {"name": field_name},
            field=field_name,
        )
    try:
        checked = upload if isinstance(upload, files.CheckedFile) else files.check(upload)
    except ValidationFailed as error:
        raise ValidationFailed(error.message, field=field_name) from error
    ensure_data_entry_allowed(response.participant, pc.DataEntryKind.CONTACT)
    stored_as = files.write(checked)
    try:
        return _file_row(user, response, field_name, checked, stored_as, reason)
    except BaseException:
        files.discard(stored_as)
        raise


@transaction.atomic
def _file_row(
    user: Any,
    response: Response,
    field_name: str,
    checked: files.CheckedFile,
    stored_as: str,
    reason: str,
) -> ResponseFile:
    locked = Response.objects.select_for_update(of=("self",)).get(pk=response.pk)
    existing = (
        ResponseFile.objects.select_for_update().filter(response=locked, field_name=field_name)
    ).first()
    row = existing or ResponseFile(response=locked, field_name=field_name)
    if existing is not None:
        was_complete = locked.history.filter(status__in=c.ResponseStatus.finished()).exists()
        if was_complete and not (reason or "").strip():
            from neuroregen.core.errors import ReasonRequired

            raise ReasonRequired(field="reason")
        why = reason.strip() if was_complete else "file replaced during entry"
        stamp(row, user=user, reason=f"{why} (was {existing.name}, sha256 {existing.sha256})")
    else:
        stamp(row, user=user, reason=reason or "file attached")
    row.name = checked.name
    row.content_type = checked.content_type
    row.size = len(checked.data)
    row.sha256 = checked.sha256
    row.stored_as = stored_as
    row.uploaded_by = user
    row.uploaded_at = timezone.now()
    row.save()
    return row
