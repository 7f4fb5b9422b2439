"""Writing planned forms that already exist: compare with the stored form, save if changed.

Read in a few queries (thousands of forms), saved one by one through ``response_save`` so a
change has the data-entry form's checks, history and reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection

from neuroregen.instruments import services as instrument_services
from neuroregen.instruments.choices import ResponseStatus
from neuroregen.instruments.models import Response
from neuroregen.interop.import_types import ImportResult, Planned


@dataclass(frozen=True)
class Stored:
    """What an import compares a planned form with: the stored form's state."""

    pk: int
    status: str
    answers: dict[str, Any]
    missing: dict[str, str]


def same(stored: Stored, item: Planned) -> bool:
    codes = item.codes  # cleaned when planned
    answers = item.prepared.stored_answers(item.stored, codes)
    if answers != stored.answers or codes != stored.missing:
        return False
    if item.verified:
        return stored.status == ResponseStatus.VERIFIED
    if item.complete:
        return stored.status in ResponseStatus.finished()
    # A completed form is never turned back to "in progress" by saving, so this is no change.
    return stored.status in (ResponseStatus.IN_PROGRESS, *ResponseStatus.finished())


def _chunks(items: list[Any]) -> Any:
    # SQLite bounds the parameters of one statement; PostgreSQL takes them in one
    size = 900 if connection.vendor == "sqlite" else max(len(items), 1)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def existing_responses(planned: list[Planned]) -> dict[tuple[int, int], Stored]:
    """The stored state of the planned (visit, instrument) pairs, read in a few queries."""
    found: dict[tuple[int, int], Stored] = {}
    wanted = {(i.visit.pk, i.instrument.pk) for i in planned}
    instruments = sorted({i.instrument.pk for i in planned})
    # by child (a few thousand ids) rather than by visit (ten times as many to send)
    for children in _chunks(sorted({i.participant.pk for i in planned})):
        rows = Response.objects.filter(
            participant_id__in=children, instrument_id__in=instruments
        ).values_list("pk", "visit_id", "instrument_id", "status", "answers", "missing")
        for pk, visit_id, instrument_id, status, answers, missing in rows:
            key = (visit_id, instrument_id)
            if key in wanted:
                found[key] = Stored(pk, status, answers, missing)
    return found


def write_changed(
    user: Any, item: Planned, reason: str, result: ImportResult, existing: Response
) -> None:
    """Save a changed form through the data-entry service (its checks, history and queries)."""
    instrument_services.response_save(
        user=user,
        response=existing,
        answers=item.answers,
        missing=item.missing,
        complete=item.complete,
        verify=item.verified,
        answered_on=existing.answered_on or item.visit.done_on,
        expected_version=existing.row_version,
        reason=reason,
    )
    result.updated += 1
    result.forms.append(f"{item.participant.study_code}/{item.visit.code}/{item.instrument.code}")
