"""Writes of the instruments app: dictionaries, responses, parent links and queries.

Each function is one transaction, checks the capability at the record's site (parent links
check the link instead), and stamps the acting user and reason into the audit trail.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections import defaultdict
from typing import Any

from django.core import signing
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from neuroregen.core.audit import stamp
from neuroregen.core.errors import InvalidTransition, NotFound, ValidationFailed
from neuroregen.core.permissions import require
from neuroregen.core.roles import Capability
from neuroregen.core.time import end_of_site_day, to_site
from neuroregen.core.wording import render, wording
from neuroregen.instruments import choices as c
from neuroregen.instruments import completeness, definitions, entry, files, quality, scoring
from neuroregen.instruments.cohort import CohortScores
from neuroregen.instruments.errors import (
    AnswersInvalid,
    DictionaryRejected,
    FormIncomplete,
    LinkNotFound,
    LinkUnusable,
    ResponseConflict,
)
from neuroregen.instruments.models import (
    Field,
    Instrument,
    Query,
    QueryEvent,
    Response,
    ResponseFile,
    Score,
    SurveyLink,
)
from neuroregen.instruments.prepared import score_dicts
from neuroregen.instruments.redcap import Problem, read_dictionary, write_dictionary
from neuroregen.instruments.verification import response_verify as response_verify
from neuroregen.participants import choices as pc
from neuroregen.participants.services import ensure_data_entry_allowed

LINK_SALT = "neuroregen.instruments.survey-link"
LINK_DAYS_DEFAULT = 7


# --- dictionaries --------------------------------------------------------------------------


@transaction.atomic
def dictionary_import(
    *, user: Any | None, text: str, title: str = "", reason: str = ""
) -> list[Instrument]:
    """Import a REDCap data dictionary: one instrument per form. All or nothing.

    ``user`` None means a server operator running the command line. Raises
    :class:`DictionaryRejected` listing every problem by line and column. Every field created,
    changed or removed gets a history row with the user and ``reason``.
    """
    if user is not None:
        require(user, Capability.MANAGE_INSTRUMENTS)
    rows, problems = read_dictionary(text)
    forms: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        forms[row.form_name].append(row)
    existing = {i.code: i for i in Instrument.objects.filter(code__in=list(forms))}
    for code, instrument in existing.items():
        if instrument.builtin:
            problems.append(
                Problem(
                    0,
                    "Form Name",
                    _(
                        "form '%(code)s' is a built-in instrument "
                        "and cannot be replaced by an import"
                    )
                    % {"code": code},
                )
            )
        elif instrument.responses.exists():
            problems.append(
                Problem(
                    0,
                    "Form Name",
                    _(
                        "form '%(code)s' already has responses; "
                        "import the changed form under a new form name"
                    )
                    % {"code": code},
                )
            )
    if problems:
        raise DictionaryRejected(problems)
    why = reason.strip() or "REDCap data dictionary imported"
    imported = []
    for code, form_rows in forms.items():
        instrument = existing.get(code) or Instrument(code=code, title=title or code)
        instrument.licence = instrument.licence or c.Licence.LOCAL
        if not instrument.languages:
            instrument.languages = ["en"]
        replacing = instrument.pk is not None
        if not replacing:
            stamp(instrument, user=user, reason=why)
            instrument.save()
        dropped = definitions.fields_replace(
            instrument=instrument, rows=form_rows, user=user, reason=why
        )
        if replacing:
            instrument.languages = [lang for lang in instrument.languages if lang not in dropped]
            instrument.languages_missing = {
                **instrument.languages_missing,
                **dict.fromkeys(sorted(dropped), "wording changed by a dictionary import"),
            }
            stamp(instrument, user=user, reason=why)
            instrument.save()
        imported.append(instrument)
    return imported


def dictionary_export(*, instrument: Instrument) -> str:
    """The instrument as a REDCap data dictionary CSV (reads back identical)."""
    return write_dictionary([f.as_row() for f in instrument.fields.all()])


def instrument_get(code: str) -> Instrument:
    found = Instrument.objects.filter(code=code).first()
    if found is None:
        raise NotFound(_("Unknown instrument '%(code)s'.") % {"code": code})
    return found


# --- responses -----------------------------------------------------------------------------


def _site_today(participant: Any) -> dt.date:
    from neuroregen.visits import timeline

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


# --- parent links --------------------------------------------------------------------------


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def link_create(
    *,
    user: Any,
    visit: Any,
    instrument: Instrument | str,
    language: str = "",
    valid_days: int = LINK_DAYS_DEFAULT,
) -> tuple[SurveyLink, str]:
    """Make a single-use link for the family to answer at this visit. Returns (link, token).

    The token is shown once; only its hash is kept. Earlier unused links of the same form stop
    working.
    """
    participant = visit.participant
    require(user, Capability.MANAGE_PARTICIPANT, participant.site)
    if isinstance(instrument, str):
        instrument = instrument_get(instrument)
    if not instrument.offered_to_families:
        raise ValidationFailed(
            _("%(title)s is not completed by families.") % {"title": instrument.title}
        )
    if not 1 <= valid_days <= 30:
        raise ValidationFailed(_("A link is valid for 1 to 30 days."), field="valid_days")
    ensure_data_entry_allowed(participant, pc.DataEntryKind.CONTACT)
    language = language or participant.preferred_language
    response = response_start(
        user=user,
        visit=visit,
        instrument=instrument,
        respondent=c.Respondent.PARENT,
        language=language,
        source=c.ResponseSource.PARENT_LINK,
    )
    if response.status != c.ResponseStatus.IN_PROGRESS:
        raise InvalidTransition(
            _("This form is already %(status)s.")
            % {"status": response.get_status_display().lower()}
        )
    now = timezone.now()
    for old in SurveyLink.objects.select_for_update(of=("self",)).filter(
        response=response, used_at__isnull=True, revoked_at__isnull=True
    ):
        old.revoked_at = now
        old.save()
    secret = secrets.token_urlsafe(32)
    link = SurveyLink.objects.create(
        response=response,
        token_hash=_hash(secret),
        language=language,
        created_by=user,
        # "Valid for N days" means to the end of day N on the site's calendar, whatever the
        # hour the link was made.
        expires_at=end_of_site_day(
            to_site(now, participant.site).date() + dt.timedelta(days=valid_days),
            participant.site,
        ),
    )
    token = signing.dumps({"l": link.pk, "s": secret}, salt=LINK_SALT, compress=False)
    return link, token


def link_resolve(token: str) -> SurveyLink:
    """The link a token opens, or :class:`LinkNotFound` / :class:`LinkUnusable`."""
    try:
        payload = signing.loads(token, salt=LINK_SALT)
        link_id, secret = int(payload["l"]), str(payload["s"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise LinkNotFound() from exc
    link = (
        SurveyLink.objects.select_related("response__instrument", "response__participant__site")
        .filter(pk=link_id)
        .first()
    )
    if link is None or not secrets.compare_digest(link.token_hash, _hash(secret)):
        raise LinkNotFound()
    if link.used_at is not None or link.response.status != c.ResponseStatus.IN_PROGRESS:
        raise LinkUnusable(
            _("This questionnaire has been submitted. Thank you — it cannot be opened again.")
        )
    if link.revoked_at is not None:
        raise LinkUnusable(_("This link has been replaced by a newer one."))
    if link.expires_at <= timezone.now():
        raise LinkUnusable(_("This link has expired. Please ask the study team for a new one."))
    return link


@transaction.atomic
def link_save(*, token: str, answers: dict[str, Any], submit: bool) -> Response:
    """A family saves answers through a link (partial) or submits them (locks the form)."""
    link = link_resolve(token)
    link = SurveyLink.objects.select_for_update(of=("self",)).get(pk=link.pk)
    response = (
        Response.objects.select_for_update(of=("self",))
        .select_related("instrument", "participant__site")
        .get(pk=link.response_id)
    )
    participant = response.participant
    today = _site_today(participant)
    ensure_data_entry_allowed(participant, pc.DataEntryKind.CONTACT, on=today)
    fields = list(response.instrument.fields.all())
    _apply(response, fields, answers, {}, finished=submit, codes_allowed=False)
    if submit:
        response.status = c.ResponseStatus.COMPLETE
        response.completed_at = timezone.now()
        link.used_at = response.completed_at
    if link.first_opened_at is None:
        link.first_opened_at = timezone.now()
    response.respondent = c.Respondent.PARENT
    response.language = link.language
    response.answered_on = today
    stamp(
        response,
        user=None,
        reason="submitted by the family through a link"
        if submit
        else "saved by the family through a link (partial)",
    )
    response.save()
    link.save()
    quality_check_response(response=response, user=None)
    return response


@transaction.atomic
def link_revoke(*, user: Any, link: SurveyLink) -> SurveyLink:
    require(user, Capability.MANAGE_PARTICIPANT, link.response.participant.site)
    if link.used_at is None and link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save()
    return link


# --- data quality and queries --------------------------------------------------------------


def _birth_floor(participant: Any) -> dt.date:
    months = participant.age_months_at_screening + 1
    year, month = divmod(
        participant.screened_on.year * 12 + participant.screened_on.month - 1 - months, 12
    )
    return dt.date(year, month + 1, 1)


def _cohort_scores(instrument: Instrument, exclude_pk: int | None) -> dict[str, list[float]]:
    values: dict[str, list[float]] = defaultdict(list)
    rows = (
        Response.objects.filter(instrument=instrument, status__in=c.ResponseStatus.finished())
        .exclude(pk=exclude_pk)
        .values_list("scores", flat=True)
    )
    for scores in rows:
        for code, result in (scores or {}).items():
            if result.get("value") is not None:
                values[code].append(float(result["value"]))
    return values


def _open_finding(
    *,
    participant: Any,
    key: str,
    rule: str,
    message: str,
    field_name: str,
    response: Response | None = None,
    measurement: Any = None,
    user: Any | None = None,
    kept: dict[str, Any] | None = None,
) -> Query | None:
    if Query.objects.filter(key=key).exclude(status=c.QueryStatus.CLOSED).exists():
        return None
    if kept:
        # The stored text is English, whoever ran the rule; readers get it worded anew.
        with translation.override("en"):
            message = render(kept)
    query = Query(
        participant=participant,
        response=response,
        measurement=measurement,
        field_name=field_name,
        rule=rule,
        message=message[:500],
        wording=kept or {},
        key=key,
        opened_by=user,
    )
    stamp(query, user=user, reason="opened by data-quality rule")
    query.save()
    QueryEvent.objects.create(query=query, action=c.QueryAction.OPENED, text=message, author=user)
    return query


def quality_check_response(*, response: Response, user: Any | None) -> list[Query]:
    """Run every rule on one response; open a query for each new finding."""
    if response.status == c.ResponseStatus.NOT_DONE:
        return []
    findings = quality.response_findings(
        fields=list(response.instrument.fields.all()),
        answers=response.answers,
        missing=response.missing,
        status=response.status,
        scores=response.scores,
        score_defs=_score_defs(response.instrument),
        cohort=CohortScores(response.instrument, response.pk),
        today=_site_today(response.participant),
        earliest=_birth_floor(response.participant),
    )
    opened = []
    for finding in findings:
        query = _open_finding(
            participant=response.participant,
            response=response,
            user=user,
            key=f"response:{response.pk}:{finding.rule}:{finding.field_name}",
            rule=finding.rule,
            message=finding.message,
            field_name=finding.field_name,
            kept=finding.kept,
        )
        if query:
            opened.append(query)
    return opened


def quality_check_measurement(*, measurement: Any, user: Any | None) -> list[Query]:
    from neuroregen.biomarkers.models import Measurement

    if measurement.value is None:
        return []
    others = [
        float(v)
        for v in Measurement.objects.filter(
            analyte=measurement.analyte,
            region=measurement.region,
            value__isnull=False,
        )
        .exclude(pk=measurement.pk)
        .values_list("value", flat=True)
    ]
    findings: list[tuple[str, dict[str, Any]]] = []
    name = measurement.analyte_def.name  # English, a msgid: each reader gets it translated
    kept = quality.outlier_wording(float(measurement.value), others, prefix=name)
    if kept:
        findings.append((c.QueryRule.OUTLIER, kept))
    collected = measurement.collected_at.date()
    if collected < _birth_floor(measurement.participant):
        findings.append(
            (
                c.QueryRule.IMPOSSIBLE_DATE,
                wording(
                    gettext_noop("Collected on %(day)s, before the child was born."),
                    prefix=name,
                    day=collected,
                ),
            )
        )
    opened = []
    for rule, kept in findings:
        query = _open_finding(
            participant=measurement.participant,
            measurement=measurement,
            user=user,
            key=f"measurement:{measurement.pk}:{rule}",
            rule=rule,
            message=render(kept),
            field_name=measurement.analyte,
            kept=kept,
        )
        if query:
            opened.append(query)
    return opened


def quality_run_batch(*, user: Any) -> int:
    """Run every rule over everything the user may edit; returns how many queries were opened."""
    require(user, Capability.MANAGE_PARTICIPANT)
    from neuroregen.biomarkers.models import Measurement

    opened = 0
    for response in Response.objects.for_user(user, Capability.MANAGE_PARTICIPANT).select_related(
        "instrument", "participant__site"
    ):
        opened += len(quality_check_response(response=response, user=user))
    for measurement in Measurement.objects.for_user(
        user, Capability.MANAGE_PARTICIPANT
    ).select_related("participant__site"):
        opened += len(quality_check_measurement(measurement=measurement, user=user))
    return opened


@transaction.atomic
def query_open(
    *,
    user: Any,
    participant: Any,
    message: str,
    response: Response | None = None,
    field_name: str = "",
) -> Query:
    """A person raises a query about a value."""
    require(user, Capability.MANAGE_PARTICIPANT, participant.site)
    if not (message or "").strip():
        raise ValidationFailed(_("Say what is to be checked."), field="message")
    query = Query(
        participant=participant,
        response=response,
        field_name=field_name,
        rule=c.QueryRule.MANUAL,
        message=message.strip()[:500],
        key=f"manual:{secrets.token_hex(8)}",
        opened_by=user,
    )
    stamp(query, user=user, reason="opened")
    query.save()
    QueryEvent.objects.create(
        query=query, action=c.QueryAction.OPENED, text=message.strip(), author=user
    )
    return query


_TRANSITIONS = {
    c.QueryAction.ANSWERED: (
        {c.QueryStatus.OPEN},
        c.QueryStatus.ANSWERED,
        Capability.MANAGE_PARTICIPANT,
    ),
    c.QueryAction.CLOSED: (
        {c.QueryStatus.OPEN, c.QueryStatus.ANSWERED},
        c.QueryStatus.CLOSED,
        Capability.CLOSE_QUERY,
    ),
    c.QueryAction.REOPENED: (
        {c.QueryStatus.ANSWERED, c.QueryStatus.CLOSED},
        c.QueryStatus.OPEN,
        Capability.CLOSE_QUERY,
    ),
}


@transaction.atomic
def query_act(
    *, user: Any, query: Query, action: str, text: str, expected_version: int | None = None
) -> Query:
    """Answer, close, re-open or comment on a query. Every step needs words and is kept."""
    if not (text or "").strip():
        raise ValidationFailed(_("Write the answer or comment."), field="text")
    query = (
        Query.objects.select_for_update(of=("self",))
        .select_related("participant__site")
        .get(pk=query.pk)
    )
    if expected_version is not None and query.row_version != expected_version:
        raise ResponseConflict(
            [], query.row_version, _("This query was changed by someone else; reload it.")
        )
    if action == c.QueryAction.COMMENT:
        require(user, Capability.MANAGE_PARTICIPANT, query.participant.site)
    elif action in _TRANSITIONS:
        allowed, new_status, capability = _TRANSITIONS[action]
        require(user, capability, query.participant.site)
        if query.status not in allowed:
            raise InvalidTransition(
                _("A query that is %(status)s cannot be %(action)s.")
                % {
                    "status": query.get_status_display().lower(),
                    "action": c.QueryAction(action).label.lower(),
                }
            )
        query.status = new_status
        stamp(query, user=user, reason=f"{action}: {text.strip()}"[:300])
        query.save()
    else:
        raise ValidationFailed(_("Unknown action."), field="action")
    QueryEvent.objects.create(query=query, action=action, text=text.strip(), author=user)
    return query
