"""Imports: check the whole file first, then write everything in one transaction, or nothing.

The same path serves REDCap records CSV and ODM clinical data: each reader turns its file into
:class:`~neuroregen.interop.records.RecordRow` objects, and :func:`records_import` matches them
to participants, visits and instrument definitions and validates every answer with the rules the
data-entry form uses (each instrument's definition prepared once for all its forms). Forms that
exist and changed are saved through ``response_save`` (same audit trail, same queries); new
forms are created together by :mod:`neuroregen.interop.form_creation`, as ``response_start`` +
``response_save`` would create them. Re-importing the same file changes nothing: a form whose
answers, missing-data codes and completion are already as in the file is left untouched.

Around that core: record ids are turned into study codes first (a map, or participants
registered in screening: :mod:`~neuroregen.interop.record_links`); a classic project's
one-row records are placed at visits (:mod:`~neuroregen.interop.classic_rows`); forms a file
marks not done are recorded so (:mod:`~neuroregen.interop.not_done_forms`); forms that exist
are compared and saved by :mod:`~neuroregen.interop.record_writes`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction

from neuroregen.core.errors import DomainError
from neuroregen.core.permissions import has_capability
from neuroregen.core.roles import Capability
from neuroregen.core.uploads import decode_text
from neuroregen.instruments import completeness
from neuroregen.instruments.errors import AnswersInvalid
from neuroregen.instruments.models import Instrument, Response
from neuroregen.instruments.prepared import PreparedInstrument
from neuroregen.interop.classic_rows import carried_forms, place_base_rows
from neuroregen.interop.dataset import protocol_by_code
from neuroregen.interop.errors import ImportRejected
from neuroregen.interop.form_creation import create_forms
from neuroregen.interop.import_types import ImportResult, Planned, VisitRef
from neuroregen.interop.not_done_forms import reading_problems, write_not_done
from neuroregen.interop.record_links import Linked, RecordLinks, link_records
from neuroregen.interop.record_writes import existing_responses, same, write_changed
from neuroregen.interop.records import (
    EVENT_NAME,
    IGNORED,
    FormReader,
    Problem,
    RecordRow,
    event_visit,
    import_columns,
    read_records,
    reason_column,
)
from neuroregen.participants.models import Participant
from neuroregen.visits.models import Visit, VisitDefinition

Progress = Callable[[int, int], None]


def _instruments(codes: set[str]) -> dict[str, Instrument]:
    return {
        i.code: i
        for i in Instrument.objects.filter(code__in=codes).prefetch_related("fields", "scores")
    }


def _column_owner(header: list[str], instruments: dict[str, Instrument]) -> dict[str, str]:
    owner: dict[str, str] = {}
    for instrument in instruments.values():
        for column in import_columns(instrument):
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
    id_column = header[0] if header else "record_id"  # as the file names it
    problems: list[Problem] = []
    structural = {
        *header[:1],  # the record-id field, whatever its name
        "redcap_event_name",
        "redcap_repeat_instrument",
        "redcap_repeat_instance",
        *IGNORED,
        *(f"{code}_timestamp" for code in known),  # survey completion times: REDCap's own
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
    visits = _visits(user, protocol, list(participants.values()))
    arms = sorted(a.code for a in protocol_obj.arms.all())
    columns = {code: import_columns(instrument) for code, instrument in known.items()}
    if flat:
        rows = place_base_rows(rows, participants, visits, columns, problems)
    prepared: dict[str, tuple[FormReader, PreparedInstrument]] = {}
    may_enter: dict[int, bool] = {}
    planned: list[Planned] = []
    seen: dict[tuple[int, int], str] = {}
    for row in rows:
        participant = participants.get(row.record_id)
        if participant is None:
            problems.append(Problem(row.where, id_column, f"no participant '{row.record_id}'"))
            continue
        if participant.site_id not in may_enter:
            may_enter[participant.site_id] = has_capability(
                user, Capability.MANAGE_PARTICIPANT, participant.site
            )
        if not may_enter[participant.site_id]:
            problems.append(
                Problem(row.where, id_column, "you may not enter data for this participant")
            )
            continue
        own = visits.get(participant.pk, [])
        if not own:
            if _carries_data(row, owner):
                problems.append(
                    Problem(
                        row.where,
                        id_column,
                        f"{participant.study_code} has no visits in {protocol} yet: a child is "
                        "consented, enrolled and assigned before forms are entered",
                    )
                )
            continue
        visit, forms = _resolve(row, own, arms, known, columns, flat, problems)
        if visit is None:
            continue
        for code in forms:
            instrument = known[code]
            if code not in prepared:
                prepared[code] = (FormReader(instrument), PreparedInstrument(instrument))
            reader, kit = prepared[code]
            answers, missing, complete, has_data, found = reader.read(row.cells, row.where)
            problems.extend(found)
            not_done = row.cells.get(reason_column(code), "")
            if not_done:
                found = reading_problems(code, not_done, answers, missing, complete, row.where)
                problems.extend(found)
                answers, missing, complete, has_data = {}, {}, "", not found
            if not has_data:
                continue
            if (
                code not in visit.scheduled
                and not Response.objects.filter(visit_id=visit.pk, instrument=instrument).exists()
            ):
                problems.append(
                    Problem(
                        row.where,
                        f"{code}_complete",
                        f"{code} is not expected at visit {visit.code} in the schedule",
                    )
                )
                continue
            stored: dict[str, Any] = {}
            cleaned: dict[str, str] = {}
            errors: dict[str, str] = {}
            if not not_done:
                stored, cleaned, errors = kit.clean(answers, missing)
                errors = {**completeness.range_errors(kit.fields, stored, kit.score_defs), **errors}
            if complete in ("1", "2"):
                found_here = _completion_problems(user, participant, kit, stored, cleaned, complete)
                errors = {**found_here, **errors}  # an invalid answer keeps its own message
            for name, message in sorted(errors.items()):
                problems.append(Problem(row.where, name, message))
            key = (visit.pk, instrument.pk)
            if key in seen:
                problems.append(
                    Problem(row.where, id_column, f"{code} at {visit.code} is also on {seen[key]}")
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
                        complete in ("1", "2"),
                        stored,
                        cleaned,
                        kit,
                        verified=complete == "2",
                        not_done_reason=not_done,
                    )
                )
    return planned, problems


def _carries_data(row: RecordRow, owner: dict[str, str]) -> bool:
    """Whether any cell of a form holds something (a bare status 0 says nothing)."""
    return any(
        value and not (value == "0" and column.endswith("_complete"))
        for column, value in row.cells.items()
        if column in owner
    )


def _completion_problems(
    user: Any,
    participant: Participant,
    kit: PreparedInstrument,
    stored: dict[str, Any],
    codes: dict[str, str],
    complete: str,
) -> dict[str, str]:
    """Why a form marked complete (1) or verified (2) cannot be: required items neither
    answered nor coded, and verification by someone who may not verify."""
    problems: dict[str, str] = {}
    lacking = completeness.missing_required(kit.fields, kit.stored_answers(stored, codes), codes)
    for f in lacking:
        problems[f.field_name] = (
            f"required item left blank in a form marked complete ({complete}); answer it, give "
            "a missing-data code (NASK, DECL, UNK, NA) or mark the form 0 (incomplete)"
        )
    if complete == "2" and not has_capability(user, Capability.VERIFY_FORM, participant.site):
        problems[f"{kit.instrument.code}_complete"] = (
            "2 marks the form verified, which only an investigator or data manager may do; "
            "use 1 for complete"
        )
    return problems


def _visits(user: Any, protocol: str, participants: list[Participant]) -> dict[int, list[VisitRef]]:
    """Each participant's visits in ``protocol`` (not cancelled), by target day and code."""
    found = (
        Visit.objects.for_user(user)
        .filter(
            participant__in=participants,
            assignment__protocol__code=protocol,
            cancelled_on__isnull=True,
        )
        .order_by("participant_id", "target_day", "code")
        .values_list(
            "participant_id", "pk", "code", "definition_id", "assignment__arm__code", "done_on"
        )
    )
    rows = list(found)
    scheduled = {
        pk: frozenset(instruments)
        for pk, instruments in VisitDefinition.objects.filter(
            pk__in={row[3] for row in rows}
        ).values_list("pk", "instruments")
    }
    visits: dict[int, list[VisitRef]] = {}
    for participant_id, pk, code, definition_id, arm, done_on in rows:
        visits.setdefault(participant_id, []).append(
            VisitRef(pk, code, scheduled[definition_id], arm or "", done_on)
        )
    return visits


def _resolve(
    row: RecordRow,
    visits: list[VisitRef],
    arms: list[str],
    known: dict[str, Instrument],
    columns: dict[str, list[str]],
    flat: bool,
    problems: list[Problem],
) -> tuple[VisitRef | None, list[str]]:
    """The visit a row belongs to and the forms it carries (those with a value in any of
    their columns)."""
    cells = row.cells
    with_data = sorted(code for code, names in columns.items() if any(map(cells.get, names)))
    if row.visit_code:
        matches = [v for v in visits if v.code.lower() == row.visit_code.lower()]
        if not matches:
            problems.append(Problem(row.where, "StudyEventOID", f"no visit {row.visit_code}"))
            return None, []
        return matches[0], with_data
    if flat:
        if not row.repeat_instrument:
            if carried_forms(row, columns):
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
    candidates = [v for v in visits if event_visit(v.code) == match["visit"]]
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
    arm = visit.arm
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
        problems.extend(
            write_not_done(
                user=user, items=[i for i in planned if i.not_done_reason], result=result
            )
        )
        planned = [i for i in planned if not i.not_done_reason]
        existing = existing_responses(planned)
        fresh = [i for i in planned if (i.visit.pk, i.instrument.pk) not in existing]
        done = 0
        for item in planned:
            stored = existing.get((item.visit.pk, item.instrument.pk))
            if stored is None:
                continue
            if same(stored, item):
                result.unchanged += 1
            else:
                try:
                    write_changed(user, item, reason, result, Response.objects.get(pk=stored.pk))
                except AnswersInvalid as exc:
                    problems.extend(
                        Problem(item.where, n, m) for n, m in sorted(exc.errors.items())
                    )
                except DomainError as exc:
                    problems.append(Problem(item.where, exc.field or "", exc.message))
            done += 1
            if progress is not None:
                progress(done, len(planned))
        problems.extend(create_forms(user=user, items=fresh, reason=reason, result=result))
        if progress is not None and fresh:
            progress(len(planned), len(planned))
        if problems:
            raise ImportRejected(problems)
    return result


def redcap_import(
    *,
    user: Any,
    protocol: str,
    text: str,
    source_name: str = "",
    progress: Progress | None = None,
    links: RecordLinks | None = None,
) -> ImportResult:
    """Import a REDCap records CSV (flat or longitudinal, told apart by its columns).

    ``links`` says how record ids name participants (a map, or registration at a site: see
    :mod:`neuroregen.interop.record_links`); a participant registered by an import is part of
    the same all-or-nothing transaction as the forms.
    """
    rows, header, problems = read_records(text)
    if problems:
        raise ImportRejected(problems)
    with transaction.atomic():
        linked = link_records(user=user, rows=rows, header=header, links=links or RecordLinks())
        try:
            result = records_import(
                user=user,
                protocol=protocol,
                rows=linked.rows,
                header=linked.header,
                flat="redcap_event_name" not in header,
                source_name=source_name,
                progress=progress,
            )
        except ImportRejected as exc:
            raise ImportRejected([*linked.problems, *exc.problems]) from exc
        if linked.problems:
            raise ImportRejected(linked.problems)
    return _with_links(result, linked)


def _with_links(result: ImportResult, linked: Linked) -> ImportResult:
    result.registered = linked.registered
    result.linked = linked.linked
    return result


def file_import(
    *,
    user: Any,
    protocol: str,
    fmt: str,
    data: bytes,
    source_name: str = "",
    encoding: str | None = None,
    progress: Progress | None = None,
    links: RecordLinks | None = None,
) -> ImportResult:
    """Import an uploaded file: ``fmt`` ``redcap`` (CSV text, decoded here; ``encoding``
    forces a codec; ``links``: see :func:`redcap_import`) or ``odm`` (XML, which declares its
    own encoding)."""
    if fmt == "odm":
        return odm_import(
            user=user, protocol=protocol, data=data, source_name=source_name, progress=progress
        )
    text = decode_text(data, encoding=encoding).text
    return redcap_import(
        user=user,
        protocol=protocol,
        text=text,
        source_name=source_name,
        progress=progress,
        links=links,
    )


def odm_import(
    *,
    user: Any,
    protocol: str,
    data: bytes,
    source_name: str = "",
    progress: Progress | None = None,
) -> ImportResult:
    """Import ODM clinical data (NeuroRegen's, or a REDCap project XML) into existing
    definitions, all or nothing, through :func:`records_import` (a form not done comes as its
    reason column, as in a records file); problems point at the file's own lines."""
    # imported here: the XML schema stack is heavy and only ODM needs it
    from neuroregen.interop import odm_read

    clinical, problems = odm_read.read_clinical_data(data, name=source_name or "the file")
    if problems:
        raise ImportRejected(problems)
    try:
        result = records_import(
            user=user,
            protocol=protocol,
            rows=clinical.rows,
            header=clinical.header,
            flat=clinical.flat,
            source_name=source_name,
            progress=progress,
        )
    except ImportRejected as exc:
        raise ImportRejected(odm_read.placed(exc.problems, clinical.places)) from exc
    return result
