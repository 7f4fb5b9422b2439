"""Forms a file records as not done, with their reason: checked, then recorded.

A form not done carries no data, so it cannot travel through the records import; it is placed
on a visit the same way (event, visit code or repeat instance) and recorded with the data-entry
service ``response_mark_not_done`` (same checks, same history). A form already not done for
the same reason is left untouched; a form completed here is not turned into "not done".

The records import's own visit lookup and placement (``visits`` and ``resolve``) are passed in
by :func:`neuroregen.interop.services.odm_import`, so that a form not done lands where a form
with data would, and this module does not import the services that call it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from neuroregen.core.errors import DomainError
from neuroregen.core.permissions import has_capability
from neuroregen.core.roles import Capability
from neuroregen.instruments import services as instrument_services
from neuroregen.instruments.choices import ResponseStatus
from neuroregen.instruments.models import Instrument, Response
from neuroregen.interop.dataset import protocol_by_code
from neuroregen.interop.errors import ImportRejected
from neuroregen.interop.odm_read import NotDoneForm
from neuroregen.interop.records import Problem
from neuroregen.participants.models import Participant
from neuroregen.visits.models import Visit


@dataclass(frozen=True)
class PlannedNotDone:
    where: str
    study_code: str
    visit: Any  # the records import's VisitRef
    instrument: str
    reason: str
    unchanged: bool


def plan_not_done(
    *,
    user: Any,
    protocol: str,
    forms: list[NotDoneForm],
    visits: Callable[..., dict[int, list[Any]]],
    resolve: Callable[..., tuple[Any, list[str]]],
) -> tuple[list[PlannedNotDone], list[Problem]]:
    """Place every form not done on its visit; returns the plan and every problem found."""
    if not forms:
        return [], []
    protocol_obj = protocol_by_code(protocol)
    participants = {
        p.study_code: p
        for p in Participant.objects.for_user(user)
        .filter(study_code__in={f.row.record_id for f in forms})
        .select_related("site")
    }
    schedule = visits(user, protocol, list(participants.values()))
    arms = sorted(a.code for a in protocol_obj.arms.all())
    known = {i.code: i for i in Instrument.objects.filter(code__in={f.form for f in forms})}
    planned: list[PlannedNotDone] = []
    problems: list[Problem] = []
    for form in forms:
        where = form.row.where
        participant = participants.get(form.row.record_id)
        if participant is None:
            problems.append(Problem(where, "SubjectKey", f"no participant '{form.row.record_id}'"))
            continue
        if not has_capability(user, Capability.MANAGE_PARTICIPANT, participant.site):
            problems.append(
                Problem(where, "SubjectKey", "you may not enter data for this participant")
            )
            continue
        instrument = known.get(form.form)
        if instrument is None:
            problems.append(Problem(where, "FormOID", f"'{form.form}' is not an instrument"))
            continue
        visit, _forms = resolve(
            form.row,
            schedule.get(participant.pk, []),
            arms,
            known,
            {},
            bool(form.row.repeat_instrument),
            problems,
        )
        if visit is None:
            continue
        stored = (
            Response.objects.filter(visit_id=visit.pk, instrument=instrument)
            .values_list("status", "not_done_reason")
            .first()
        )
        if stored is None and form.form not in visit.scheduled:
            problems.append(
                Problem(
                    where,
                    "FormOID",
                    f"{form.form} is not expected at visit {visit.code} in the schedule",
                )
            )
            continue
        if stored is not None and stored[0] in ResponseStatus.finished():
            problems.append(
                Problem(
                    where,
                    "FormOID",
                    f"{form.form} at {visit.code} is complete here; "
                    "the file cannot mark it not done",
                )
            )
            continue
        unchanged = stored == (ResponseStatus.NOT_DONE, form.reason)
        planned.append(
            PlannedNotDone(where, participant.study_code, visit, form.form, form.reason, unchanged)
        )
    return planned, problems


def record_not_done(*, user: Any, planned: list[PlannedNotDone], result: Any) -> None:
    """Record the planned forms as not done (inside the caller's transaction), counted in
    ``result`` (the records import's ImportResult)."""
    problems: list[Problem] = []
    existing = set(
        Response.objects.filter(visit_id__in={p.visit.pk for p in planned}).values_list(
            "visit_id", "instrument__code"
        )
    )
    visits = Visit.objects.select_related("participant__site").in_bulk(
        {p.visit.pk for p in planned}
    )
    for item in planned:
        if item.unchanged:
            result.unchanged += 1
            continue
        try:
            instrument_services.response_mark_not_done(
                user=user,
                visit=visits[item.visit.pk],
                instrument=item.instrument,
                reason=item.reason,
            )
        except DomainError as exc:
            problems.append(Problem(item.where, exc.field or "", exc.message))
            continue
        if (item.visit.pk, item.instrument) in existing:
            result.updated += 1
        else:
            result.created += 1
        result.forms.append(f"{item.study_code}/{item.visit.code}/{item.instrument}")
    if problems:
        raise ImportRejected(problems)
