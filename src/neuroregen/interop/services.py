"""Imports: check the whole file first, then write everything through the instruments services
in one transaction, or nothing.

The same path serves REDCap records CSV and ODM clinical data: each reader turns its file into
:class:`~neuroregen.interop.records.RecordRow` objects, and :func:`records_import` matches them
to participants, visits and instrument definitions, validates every answer with the rules the
data-entry form uses, and saves through ``response_start``/``response_save`` (same audit trail,
same queries). Re-importing the same file changes nothing: a form whose answers, missing-data
codes and completion are already as in the file is left untouched.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from simple_history.utils import bulk_create_with_history

from neuroregen.core.audit import stamp
from neuroregen.core.errors import DomainError
from neuroregen.core.permissions import has_capability
from neuroregen.core.roles import Capability
from neuroregen.instruments import entry, scoring
from neuroregen.instruments import services as instrument_services
from neuroregen.instruments.choices import QueryRule, Respondent, ResponseSource, ResponseStatus
from neuroregen.instruments.errors import AnswersInvalid
from neuroregen.instruments.models import Instrument, Response
from neuroregen.interop.dataset import protocol_by_code
from neuroregen.interop.errors import ImportRejected
from neuroregen.interop.records import (
    EVENT_NAME,
    Problem,
    RecordRow,
    form_columns,
    form_values,
    read_records,
)
from neuroregen.participants.models import Participant
from neuroregen.visits.models import Visit

Progress = Callable[[int, int], None]


@dataclass
class Planned:
    where: str
    participant: Participant
    visit: Visit
    instrument: Instrument
    answers: dict[str, Any]
    missing: dict[str, str]
    complete: bool
    stored: dict[str, Any] = field(default_factory=dict)
    codes: dict[str, str] = field(default_factory=dict)


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    forms: list[str] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return self.created + self.updated


def _instruments(codes: set[str]) -> dict[str, Instrument]:
    return {
        i.code: i
        for i in Instrument.objects.filter(code__in=codes).prefetch_related("fields", "scores")
    }


def _column_owner(header: list[str], instruments: dict[str, Instrument]) -> dict[str, str]:
    owner: dict[str, str] = {}
    for instrument in instruments.values():
        for column in form_columns(instrument):
            owner[column] = instrument.code
    return owner


def plan_import(
    *, user: Any, protocol: str, rows: list[RecordRow], header: list[str], flat: bool
) -> tuple[list[Planned], list[Problem]]:
    """Match and validate every row; returns the forms to write and every problem found."""
    protocol_obj = protocol_by_code(protocol)
    codes: set[str] = set()
    for definition in protocol_obj.visit_definitions.all():
        codes.update(definition.instruments)
    known = _instruments(codes | {r.repeat_instrument for r in rows if r.repeat_instrument})
    # Any existing instrument may appear as a column (a form added outside the schedule).
    for column in header:
        if column.endswith("_complete") and column[: -len("_complete")] not in known:
            extra = _instruments({column[: -len("_complete")]})
            known.update(extra)
    owner = _column_owner(header, known)
    problems: list[Problem] = []
    structural = {
        "record_id",
        "redcap_event_name",
        "redcap_repeat_instrument",
        "redcap_repeat_instance",
    }
    for column in header:
        if column not in structural and column not in owner:
            problems.append(
                Problem("line 1", column, "not a field of any instrument in the dictionary")
            )
    participants = {
        p.study_code: p
        for p in Participant.objects.for_user(user)
        .filter(study_code__in={r.record_id for r in rows})
        .select_related("site")
        .prefetch_related("withdrawals")
    }
    visits: dict[int, list[Visit]] = {}
    for visit in (
        Visit.objects.for_user(user)
        .filter(
            participant__in=participants.values(),
            assignment__protocol__code=protocol,
            cancelled_on__isnull=True,
        )
        .select_related("definition", "assignment__arm", "participant")
        .order_by("participant_id", "target_day", "code")
    ):
        visits.setdefault(visit.participant_id, []).append(visit)
    arms = sorted(a.code for a in protocol_obj.arms.all())
    planned: list[Planned] = []
    seen: dict[tuple[int, int], str] = {}
    for row in rows:
        participant = participants.get(row.record_id)
        if participant is None:
            problems.append(Problem(row.where, "record_id", f"no participant '{row.record_id}'"))
            continue
        if not has_capability(user, Capability.MANAGE_PARTICIPANT, participant.site):
            problems.append(
                Problem(row.where, "record_id", "you may not enter data for this participant")
            )
            continue
        own = visits.get(participant.pk, [])
        visit, forms = _resolve(row, own, arms, known, owner, flat, problems)
        if visit is None:
            continue
        for code in forms:
            instrument = known[code]
            answers, missing, complete, has_data, found = form_values(
                instrument, row.cells, row.where
            )
            problems.extend(found)
            if not has_data:
                continue
            expected = set(visit.definition.instruments)
            if (
                code not in expected
                and not Response.objects.filter(visit=visit, instrument=instrument).exists()
            ):
                problems.append(
                    Problem(
                        row.where,
                        f"{code}_complete",
                        f"{code} is not expected at visit {visit.code} in the schedule",
                    )
                )
                continue
            fields = list(instrument.fields.all())
            stored, cleaned, errors = entry.clean_answers(fields, answers, missing)
            for name, message in sorted(errors.items()):
                problems.append(Problem(row.where, name, message))
            key = (visit.pk, instrument.pk)
            if key in seen:
                problems.append(
                    Problem(
                        row.where, "record_id", f"{code} at {visit.code} is also on {seen[key]}"
                    )
                )
                continue
            seen[key] = row.where
            if not errors:
                planned.append(
                    Planned(
                        row.where,
                        participant,
                        visit,
                        instrument,
                        answers,
                        missing,
                        complete == "2",
                        stored,
                        cleaned,
                    )
                )
    return planned, problems


def _resolve(
    row: RecordRow,
    visits: list[Visit],
    arms: list[str],
    known: dict[str, Instrument],
    owner: dict[str, str],
    flat: bool,
    problems: list[Problem],
) -> tuple[Visit | None, list[str]]:
    """The visit a row belongs to and the forms it carries."""
    with_data = sorted({owner[c] for c, v in row.cells.items() if v and c in owner})
    if row.visit_code:
        matches = [v for v in visits if v.code.lower() == row.visit_code.lower()]
        if not matches:
            problems.append(Problem(row.where, "StudyEventOID", f"no visit {row.visit_code}"))
            return None, []
        return matches[0], with_data
    if flat:
        if not row.repeat_instrument:
            if with_data:
                problems.append(
                    Problem(
                        row.where,
                        "redcap_repeat_instrument",
                        "data on a record's base row: every form repeats per visit",
                    )
                )
            return None, []
        if row.repeat_instrument not in known:
            problems.append(
                Problem(
                    row.where,
                    "redcap_repeat_instrument",
                    f"'{row.repeat_instrument}' is not an instrument",
                )
            )
            return None, []
        if not row.repeat_instance.isdigit() or not 1 <= int(row.repeat_instance) <= len(visits):
            problems.append(
                Problem(
                    row.where,
                    "redcap_repeat_instance",
                    f"'{row.repeat_instance}' is not a visit of this participant (1–{len(visits)})",
                )
            )
            return None, []
        stray = [c for c in with_data if c != row.repeat_instrument]
        for code in stray:
            problems.append(
                Problem(
                    row.where,
                    f"{code}_complete",
                    f"{code} data on a row of {row.repeat_instrument}",
                )
            )
        return visits[int(row.repeat_instance) - 1], [row.repeat_instrument]
    match = EVENT_NAME.match(row.event)
    if not match:
        problems.append(
            Problem(
                row.where,
                "redcap_event_name",
                f"'{row.event}' is not an event name like 'bl_arm_1'",
            )
        )
        return None, []
    number = int(match["arm"])
    candidates = [v for v in visits if v.code.lower() == match["visit"]]
    if not candidates:
        problems.append(
            Problem(
                row.where,
                "redcap_event_name",
                f"the participant has no visit '{match['visit']}' in this protocol",
            )
        )
        return None, []
    visit = candidates[0]
    arm = visit.assignment.arm.code if visit.assignment.arm else ""
    if arm in arms and arms.index(arm) + 1 != number:
        problems.append(
            Problem(
                row.where,
                "redcap_event_name",
                f"arm {number} does not match the participant's arm {arms.index(arm) + 1}",
            )
        )
        return None, []
    return visit, with_data


def _same(response: Response, item: Planned) -> bool:
    fields = list(item.instrument.fields.all())
    codes = item.codes  # cleaned when planned
    answers = entry.compute_calcs(fields, item.stored, codes)
    if answers != response.answers or codes != response.missing:
        return False
    if item.complete:
        return response.status == ResponseStatus.COMPLETE
    # A completed form is never turned back to "in progress" by saving, so this is no change.
    return response.status in (ResponseStatus.IN_PROGRESS, ResponseStatus.COMPLETE)


def records_import(
    *,
    user: Any,
    protocol: str,
    rows: list[RecordRow],
    header: list[str],
    flat: bool = False,
    source_name: str = "",
    progress: Progress | None = None,
) -> ImportResult:
    """Import parsed records all or nothing; raises :class:`ImportRejected` with every problem."""
    planned, problems = plan_import(
        user=user, protocol=protocol, rows=rows, header=header, flat=flat
    )
    if problems:
        raise ImportRejected(problems)
    result = ImportResult()
    reason = f"imported from {source_name}" if source_name else "imported"
    with transaction.atomic():
        existing = _existing_responses(planned)
        fresh = [i for i in planned if (i.visit.pk, i.instrument.pk) not in existing]
        done = 0
        for item in planned:
            found = existing.get((item.visit.pk, item.instrument.pk))
            if found is None:
                continue
            try:
                _write(user, item, reason, result, found)
            except AnswersInvalid as exc:
                problems.extend(Problem(item.where, n, m) for n, m in sorted(exc.errors.items()))
            except DomainError as exc:
                problems.append(Problem(item.where, exc.field or "", exc.message))
            done += 1
            if progress is not None:
                progress(done, len(planned))
        problems.extend(_create_all(user, fresh, reason, result))
        if progress is not None and fresh:
            progress(len(planned), len(planned))
        if problems:
            raise ImportRejected(problems)
    return result


def _chunks(items: list[Any], size: int = 900) -> Any:
    # SQLite bounds the parameters of one statement
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _existing_responses(planned: list[Planned]) -> dict[tuple[int, int], Response]:
    """The stored responses of the planned (visit, instrument) pairs, read in a few queries."""
    found: dict[tuple[int, int], Response] = {}
    wanted = {(i.visit.pk, i.instrument.pk) for i in planned}
    for visit_ids in _chunks(sorted({v for v, _i in wanted})):
        for response in Response.objects.filter(visit_id__in=visit_ids):
            key = (response.visit_id, response.instrument_id)
            if key in wanted:
                found[key] = response
    return found


def _create_all(
    user: Any, items: list[Planned], reason: str, result: ImportResult
) -> list[Problem]:
    """Create the forms that do not exist yet, in bulk, as ``response_start`` + ``response_save``
    would: same checks (data entry allowed on the answer date, date not in the future), same
    stored answers, missing codes and scores, one history row each (user and reason), and the
    data-quality queries their findings open. The outlier rule compares each form with every
    other complete form of its instrument, the rest of the file included.
    """
    from django.utils import timezone

    from neuroregen.participants.choices import DataEntryKind
    from neuroregen.participants.services import ensure_data_entry_allowed
    from neuroregen.visits import timeline

    problems: list[Problem] = []
    responses: list[Response] = []
    now = timezone.now()
    today: dict[str, Any] = {}
    for item in items:
        participant = item.participant
        zone = participant.site.time_zone
        if zone not in today:
            today[zone] = timeline.today_at(zone)
        on = item.visit.done_on or today[zone]
        try:
            ensure_data_entry_allowed(participant, DataEntryKind.CONTACT, on=on)
        except DomainError as exc:
            problems.append(Problem(item.where, exc.field or "", exc.message))
            continue
        if on > today[zone]:
            problems.append(Problem(item.where, "answered_on", _future_message()))
            continue
        fields = list(item.instrument.fields.all())
        answers = entry.compute_calcs(fields, item.stored, item.codes)
        responses.append(
            Response(
                participant=participant,
                visit=item.visit,
                instrument=item.instrument,
                respondent=Respondent.CLINICIAN,
                language=participant.preferred_language,
                source=ResponseSource.IMPORT,
                entered_by=user,
                answers=answers,
                missing=item.codes,
                scores=scoring.score_response(
                    instrument_services._score_dicts(list(item.instrument.scores.all())),
                    answers,
                    item.codes,
                ),
                answered_on=on,
                status=ResponseStatus.COMPLETE if item.complete else ResponseStatus.IN_PROGRESS,
                completed_at=now if item.complete else None,
            )
        )
        result.created += 1
        result.forms.append(f"{participant.study_code}/{item.visit.code}/{item.instrument.code}")
    if problems or not responses:
        return problems
    for response in responses:  # the reasons ``response_save`` gives a first entry
        first = "first entry" if response.completed_at else "entry in progress"
        stamp(response, user=user, reason=f"{first} ({reason})")
    bulk_create_with_history(responses, Response, batch_size=1000, default_user=user)
    _quality_check_all(user, responses)
    return problems


def _future_message() -> str:
    from django.utils.translation import gettext as _

    return _("The answer date is in the future.")


def _quality_check_all(user: Any, responses: list[Response]) -> None:
    """``quality_check_response`` for many new forms: the cohort of each instrument is read
    once (not once per form) and the outlier rule screened with running sums; a possible
    outlier is then decided by the rule itself on the exact cohort."""
    from neuroregen.instruments import quality
    from neuroregen.instruments.choices import QueryAction
    from neuroregen.instruments.models import Query, QueryEvent

    by_instrument: dict[int, list[Response]] = {}
    for response in responses:
        by_instrument.setdefault(response.instrument_id, []).append(response)
    queries: list[Query] = []
    for group in by_instrument.values():
        instrument = group[0].instrument
        fields = list(instrument.fields.all())
        score_defs = list(instrument.scores.all())
        cohort = instrument_services._cohort_scores(instrument, None)
        own: dict[int, dict[str, float]] = {}
        for response in group:  # the new forms are already in the cohort read above
            own[response.pk] = {
                code: float(r["value"])
                for code, r in (response.scores or {}).items()
                if isinstance(r, dict) and r.get("value") is not None
            }
        sums = {
            code: (len(v), math.fsum(v), math.fsum(x * x for x in v)) for code, v in cohort.items()
        }
        for response in group:
            participant = response.participant
            findings = quality.response_findings(
                fields=fields,
                answers=response.answers,
                missing=response.missing,
                status=response.status,
                scores=response.scores,
                score_defs=score_defs,
                cohort={},
                today=_site_today(participant),
                earliest=instrument_services._birth_floor(participant),
            )
            for definition in score_defs:
                value = own[response.pk].get(definition.code)
                complete = response.status == ResponseStatus.COMPLETE
                if value is None or not _maybe_outlier(value, sums.get(definition.code), complete):
                    continue
                others = list(cohort.get(definition.code, []))
                if complete:  # the form itself is in the cohort read above
                    others.remove(value)
                message = quality.outlier_message(value, others)
                if message:
                    findings.append(
                        quality.Finding(
                            QueryRule.OUTLIER, definition.code, f"{definition.label}: {message}"
                        )
                    )
            for finding in findings:
                query = Query(
                    participant=participant,
                    response=response,
                    field_name=finding.field_name,
                    rule=finding.rule,
                    message=finding.message[:500],
                    key=f"response:{response.pk}:{finding.rule}:{finding.field_name}",
                    opened_by=user,
                )
                queries.append(query)
    if not queries:
        return
    bulk_create_with_history(
        queries, Query, default_user=user, default_change_reason="opened by data-quality rule"
    )
    QueryEvent.objects.bulk_create(
        QueryEvent(query=q, action=QueryAction.OPENED, text=q.message, author=user) for q in queries
    )


def _site_today(participant: Any) -> Any:
    from neuroregen.visits import timeline

    return timeline.today_at(participant.site.time_zone)


def _maybe_outlier(value: float, sums: tuple[int, float, float] | None, included: bool) -> bool:
    """True unless running sums show ``value`` is clearly within 3 SD of the others' mean."""
    if sums is None:
        return False
    n, total, squares = sums
    if included:
        n, total, squares = n - 1, total - value, squares - value * value
    if n < _min_cohort():
        return False
    mean = total / n
    variance = max(0.0, (squares - n * mean * mean) / (n - 1))
    # a margin keeps rounding from deciding: near the limit the exact rule decides
    return abs(value - mean) > 2.9 * math.sqrt(variance)


def _min_cohort() -> int:
    from neuroregen.instruments.quality import MIN_COHORT

    return MIN_COHORT


def _write(
    user: Any, item: Planned, reason: str, result: ImportResult, existing: Response | None
) -> None:
    if existing is not None and _same(existing, item):
        result.unchanged += 1
        return
    response = existing or instrument_services.response_start(
        user=user, visit=item.visit, instrument=item.instrument, source=ResponseSource.IMPORT
    )
    instrument_services.response_save(
        user=user,
        response=response,
        answers=item.answers,
        missing=item.missing,
        complete=item.complete,
        answered_on=response.answered_on or item.visit.done_on,
        expected_version=response.row_version,
        reason=reason,
    )
    if existing is None:
        result.created += 1
    else:
        result.updated += 1
    result.forms.append(f"{item.participant.study_code}/{item.visit.code}/{item.instrument.code}")


def redcap_import(
    *,
    user: Any,
    protocol: str,
    text: str,
    source_name: str = "",
    progress: Progress | None = None,
) -> ImportResult:
    """Import a REDCap records CSV (flat or longitudinal, told apart by its columns)."""
    rows, header, problems = read_records(text)
    if problems:
        raise ImportRejected(problems)
    return records_import(
        user=user,
        protocol=protocol,
        rows=rows,
        header=header,
        flat="redcap_event_name" not in header,
        source_name=source_name,
        progress=progress,
    )
