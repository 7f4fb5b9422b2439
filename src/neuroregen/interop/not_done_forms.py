"""Forms a records file marks *not done* (a reason in ``<form>_not_done_reason``).

Checked with every other row (the items hold nothing but ``NASK``, the status is 0) and
written through the data-entry service, ``response_mark_not_done``: the same rule (a
completed form is edited, not turned into "not done"), history and reason. A form already
not done for the same reason is left untouched, so re-importing a file changes nothing.
"""

from __future__ import annotations

from typing import Any

from neuroregen.core.errors import DomainError
from neuroregen.instruments import services as instrument_services
from neuroregen.instruments.choices import ResponseSource, ResponseStatus
from neuroregen.instruments.models import Response
from neuroregen.interop.import_types import ImportResult, Planned
from neuroregen.interop.records import NOT_DONE_CODE, Problem, reason_column
from neuroregen.visits.models import Visit

REASON_MAX = Response._meta.get_field("not_done_reason").max_length or 300


def reading_problems(
    code: str,
    reason: str,
    answers: dict[str, Any],
    missing: dict[str, str],
    complete: str,
    where: str,
) -> list[Problem]:
    """Why a row's form cannot be recorded as not done: a form not done holds no data."""
    column = reason_column(code)
    problems = [
        Problem(where, name, f"{code} is not done ({column} is given): leave its items blank")
        for name in sorted(answers)
    ]
    problems.extend(
        Problem(where, name, f"{code} is not done: its items hold {NOT_DONE_CODE} or nothing")
        for name, value in sorted(missing.items())
        if value != NOT_DONE_CODE
    )
    if complete not in ("", "0"):
        problems.append(
            Problem(where, f"{code}_complete", f"{code} is not done: its status is 0 (incomplete)")
        )
    if len(reason) > REASON_MAX:
        problems.append(
            Problem(where, column, f"the reason is longer than {REASON_MAX} characters")
        )
    return problems


def write_not_done(*, user: Any, items: list[Planned], result: ImportResult) -> list[Problem]:
    """Record each planned form as not done (unless it already is, for the same reason)."""
    if not items:
        return []
    stored = {
        (r.visit_id, r.instrument_id): r
        for r in Response.objects.filter(
            visit_id__in={i.visit.pk for i in items},
            instrument_id__in={i.instrument.pk for i in items},
        )
    }
    visits = Visit.objects.select_related("participant__site").in_bulk([i.visit.pk for i in items])
    problems: list[Problem] = []
    for item in items:
        found = stored.get((item.visit.pk, item.instrument.pk))
        if (
            found is not None
            and found.status == ResponseStatus.NOT_DONE
            and found.not_done_reason == item.not_done_reason
        ):
            result.unchanged += 1
            continue
        visit = visits[item.visit.pk]
        try:
            if found is None:
                instrument_services.response_start(
                    user=user, visit=visit, instrument=item.instrument, source=ResponseSource.IMPORT
                )
            instrument_services.response_mark_not_done(
                user=user, visit=visit, instrument=item.instrument, reason=item.not_done_reason
            )
        except DomainError as exc:
            column = exc.field if exc.field and exc.field != "reason" else ""
            problems.append(
                Problem(item.where, column or reason_column(item.instrument.code), str(exc.message))
            )
            continue
        if found is None:
            result.created += 1
        else:
            result.updated += 1
        result.forms.append(
            f"{item.participant.study_code}/{item.visit.code}/{item.instrument.code}"
        )
    return problems
