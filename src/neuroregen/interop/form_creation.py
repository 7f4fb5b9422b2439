"""The forms an import brings that do not exist yet: created together, as ``response_start`` +
``response_save`` would create each one.

Same checks (data entry allowed on the answer date, date not in the future), same stored
answers, missing-data codes and scores, one history row per form (acting user and reason) and
the data-quality queries their findings open. Everything happens inside the caller's
transaction. On PostgreSQL the rows are written with ``COPY`` (the responses, with ids taken
from their sequence; the server then makes their history rows from them); elsewhere with
``bulk_create``. Both write the same rows (``tests/interop/test_import_copy.py``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, models
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from neuroregen.core.audit import stamp
from neuroregen.core.errors import DomainError
from neuroregen.instruments.choices import Respondent, ResponseSource, ResponseStatus
from neuroregen.instruments.models import Response
from neuroregen.instruments.prepared import PreparedInstrument
from neuroregen.interop import form_quality
from neuroregen.interop.records import Problem

COMPLETE = ResponseStatus.COMPLETE.value
VERIFIED = ResponseStatus.VERIFIED.value
# made once: json.dumps with options makes an encoder per call
_JSON = json.JSONEncoder(separators=(",", ":"))
IN_PROGRESS = ResponseStatus.IN_PROGRESS.value


@dataclass(slots=True)
class NewForm:
    """One form to create: the planned form, its answer date and the reason of its first
    history row; then what a save stores (``values``) and its id."""

    item: Any  # a planned form (``services.Planned``): cleaned answers and codes
    answered_on: dt.date
    reason: str
    values: dict[str, Any] = field(default_factory=dict)  # model attribute → value
    pk: int | None = None

    @property
    def participant(self) -> Any:
        return self.item.participant

    @property
    def prepared(self) -> PreparedInstrument:
        return self.item.prepared

    @property
    def complete(self) -> bool:
        return bool(self.item.complete)

    def compute(self, user: Any, now: dt.datetime) -> dict[str, Any]:
        """The stored values, as ``response_save`` computes them (calcs, then scores)."""
        item, prepared = self.item, self.item.prepared
        answers = prepared.stored_answers(item.stored, item.codes)
        self.values = {
            "row_version": 1,
            "participant_id": item.participant.pk,
            "visit_id": item.visit.pk,
            "instrument_id": prepared.instrument.pk,
            "status": VERIFIED if item.verified else COMPLETE if item.complete else IN_PROGRESS,
            "not_done_reason": "",
            "respondent": Respondent.CLINICIAN.value,
            "language": item.participant.preferred_language,
            "answered_on": self.answered_on,
            "completed_at": now if item.complete else None,
            "source": ResponseSource.IMPORT.value,
            "answers": answers,
            "missing": item.codes,
            "scores": prepared.scores(answers, item.codes),
            "entered_by_id": user.pk,
        }
        return self.values


def create_forms(*, user: Any, items: list[Any], reason: str, result: Any) -> list[Problem]:
    """Check and create ``items`` (planned forms); returns the problems (nothing written then)."""
    from neuroregen.participants.choices import DataEntryKind
    from neuroregen.participants.services import ensure_data_entry_allowed
    from neuroregen.protocols import timeline

    problems: list[Problem] = []
    forms: list[NewForm] = []
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
        # the reasons ``response_save`` gives a first entry
        first = "first entry" if item.complete else "entry in progress"
        forms.append(NewForm(item, on, f"{first} ({reason})"))
        result.created += 1
        result.forms.append(
            f"{participant.study_code}/{item.visit.code}/{item.prepared.instrument.code}"
        )
    if problems or not forms:
        return problems
    # the cohorts the outlier rule compares with, as they were before these forms
    cohorts = form_quality.cohorts_before(forms)
    now = timezone.now()
    if uses_copy():
        _copy_forms(user, forms, now)
    else:
        _bulk_create_forms(user, forms, now)
    form_quality.open_queries(user, forms, cohorts)
    return problems


def uses_copy() -> bool:
    """Whether new forms are written with ``COPY`` (PostgreSQL) or ``bulk_create``."""
    return connection.vendor == "postgresql"


def _future_message() -> str:
    from django.utils.translation import gettext as _

    return _("The answer date is in the future.")


# --- writing -------------------------------------------------------------------------------


def _bulk_create_forms(user: Any, forms: list[NewForm], now: dt.datetime) -> None:
    responses = []
    for form in forms:
        response = Response(**form.compute(user, now))
        stamp(response, user=user, reason=form.reason)
        responses.append(response)
    bulk_create_with_history(responses, Response, batch_size=1000, default_user=user)
    for form, response in zip(forms, responses, strict=True):
        form.pk = response.pk


def _copy_forms(user: Any, forms: list[NewForm], now: Any) -> None:
    """The responses in one ``COPY``, then their first history rows taken from them."""
    columns = _columns(Response)
    json_fields = {
        f.attname for f in Response._meta.concrete_fields if isinstance(f, models.JSONField)
    }
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [Response._meta.db_table, len(forms)],
        )
        ids = sorted(row[0] for row in cursor.fetchall())
    for form, pk in zip(forms, ids, strict=True):
        form.pk = pk

    def rows() -> Any:  # computed while the server stores the ones before
        for form in forms:
            row = {**form.compute(user, now), "id": form.pk}
            for name in json_fields:
                row[name] = _JSON.encode(row[name])
            yield tuple(row[a] for a, _c in columns)

    _copy(Response._meta.db_table, [c for _a, c in columns], rows())
    _history_from_responses(user, forms, ids, now)


def _history_from_responses(user: Any, forms: list[NewForm], ids: list[int], now: Any) -> None:
    """One history row per new response, its copy plus who, when and why, made by the server
    from the rows just written (the answers are not sent and parsed a second time)."""
    history = Response.history.model
    quote = connection.ops.quote_name
    stored = {f.attname: f.column for f in Response._meta.concrete_fields}
    reasons = {form.complete: form.reason for form in forms}
    targets, sources, params = [], [], []
    for attname, column in _columns(history, skip={"history_id"}):  # numbered by the table
        targets.append(quote(column))
        if attname in stored:
            sources.append(quote(stored[attname]))
        elif attname == "history_date":
            sources.append("%s")
            params.append(now)
        elif attname == "history_change_reason":
            sources.append(f"CASE WHEN {quote(stored['status'])} IN (%s, %s) THEN %s ELSE %s END")
            params += [COMPLETE, VERIFIED, reasons.get(True, ""), reasons.get(False, "")]
        elif attname == "history_type":
            sources.append("%s")
            params.append("+")
        elif attname == "history_user_id":
            sources.append("%s")
            params.append(user.pk)
        else:  # a history field this writer does not know: fail rather than guess
            raise KeyError(attname)
    # identifiers come from the models' meta, quoted; every value is a parameter
    sql = (
        f"INSERT INTO {quote(history._meta.db_table)} ({', '.join(targets)}) "  # noqa: S608
        f"SELECT {', '.join(sources)} FROM {quote(Response._meta.db_table)} "
        f"WHERE {quote(stored['id'])} = ANY(%s) ORDER BY {quote(stored['id'])}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, ids])


def _columns(model: Any, skip: set[str] | frozenset[str] = frozenset()) -> list[tuple[str, str]]:
    """(attribute, column) of every stored field: a field added to the model and not given a
    value here fails loudly (KeyError) instead of being written as a default."""
    return [(f.attname, f.column) for f in model._meta.concrete_fields if f.attname not in skip]


def _copy(table: str, columns: list[str], rows: Iterable[tuple[Any, ...]]) -> None:
    quote = connection.ops.quote_name
    sql = f"COPY {quote(table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    with connection.cursor() as wrapper, wrapper.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)
