"""Reads of the instruments app. Site-scoped reads start from ``for_user``."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from neuroregen.core.errors import NotFound
from neuroregen.instruments import choices as c
from neuroregen.instruments.models import DomainMapping, Instrument, Query, Response, ResponseFile
from neuroregen.protocols import timeline


def instrument_list() -> QuerySet[Instrument]:
    """Definitions are shared by every site; anyone signed in may read them."""
    return Instrument.objects.prefetch_related("scores").order_by("code")


def instrument_get(code: str) -> Instrument:
    found = Instrument.objects.prefetch_related("scores", "fields").filter(code=code).first()
    if found is None:
        raise NotFound()
    return found


def response_get(*, user: Any, pk: int) -> Response:
    found = (
        Response.objects.for_user(user)
        .select_related("instrument", "participant__site", "visit")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def response_for(*, user: Any, visit: Any, code: str) -> Response | None:
    return (
        Response.objects.for_user(user)
        .select_related("instrument")
        .filter(visit=visit, instrument__code=code)
        .first()
    )


def needs_reason(response: Response | None) -> bool:
    """True once the form has been complete: every later change needs a reason."""
    return bool(
        response
        and response.pk
        and response.history.filter(status__in=c.ResponseStatus.finished()).exists()
    )


@dataclass
class FormRow:
    code: str
    kind: str  # "instrument" or "biomarker"
    title: str
    state: str
    reason: str = ""
    response: Response | None = None
    received: int = 0
    parent_completable: bool = False


def _instrument_titles() -> dict[str, Instrument]:
    return {i.code: i for i in Instrument.objects.all()}


def visit_forms(*, user: Any, visit: Any) -> list[FormRow]:
    """Each form expected at the visit: entered, partly entered, missing, or not done (why)."""
    from neuroregen.biomarkers.catalogue import ANALYTES
    from neuroregen.biomarkers.models import Measurement
    from neuroregen.visits.selectors import expected_biomarkers, expected_instruments

    instruments = _instrument_titles()
    responses = {
        r.instrument.code: r
        for r in Response.objects.for_user(user).filter(visit=visit).select_related("instrument")
    }
    rows: list[FormRow] = []
    for code in expected_instruments(visit):
        response = responses.pop(code, None)
        instrument = instruments.get(code)
        rows.append(
            FormRow(
                code=code,
                kind="instrument",
                title=instrument.title if instrument else code,
                state=_state(response, visit),
                response=response,
                reason=(
                    response.not_done_reason
                    if response and response.not_done_reason
                    else visit.not_done_reason
                ),
                parent_completable=bool(instrument and instrument.offered_to_families),
            )
        )
    for code, response in responses.items():  # entered although not scheduled
        rows.append(
            FormRow(
                code=code,
                kind="instrument",
                title=response.instrument.title,
                state=_state(response, visit),
                response=response,
                reason=response.not_done_reason,
            )
        )
    counts: dict[str, int] = defaultdict(int)
    for analyte in (
        Measurement.objects.for_user(user).filter(visit=visit).values_list("analyte", flat=True)
    ):
        counts[analyte] += 1
    for code in expected_biomarkers(visit):
        analyte = ANALYTES.get(code)
        if counts.get(code):
            state = c.FormState.ENTERED
        elif visit.not_done_reason:
            state = c.FormState.NOT_DONE
        else:
            state = c.FormState.MISSING
        rows.append(
            FormRow(
                code=code,
                kind="biomarker",
                title=analyte.name if analyte else code,
                state=state,
                received=counts.get(code, 0),
                reason=visit.not_done_reason,
            )
        )
    return rows


def _state(response: Response | None, visit: Any) -> str:
    if response is None:
        return c.FormState.NOT_DONE if visit.not_done_reason else c.FormState.MISSING
    if response.status == c.ResponseStatus.VERIFIED:
        return c.FormState.VERIFIED
    if response.status == c.ResponseStatus.COMPLETE:
        return c.FormState.ENTERED
    if response.status == c.ResponseStatus.NOT_DONE:
        return c.FormState.NOT_DONE
    return c.FormState.PARTIAL


@dataclass
class Outstanding:
    visit: Any
    rows: list[FormRow]


def outstanding_forms(
    *, user: Any, site: str = "", limit: int = 500
) -> tuple[list[Outstanding], dict[str, dict[str, int]]]:
    """Visits whose window has opened with forms still missing or partly entered, and a grid of
    counts by site and form code."""
    from neuroregen.visits.models import Visit

    latest_today = timeline.today_at("Pacific/Kiritimati")
    visits = (
        Visit.objects.for_user(user)
        .filter(cancelled_on__isnull=True, not_done_reason="", window_open__lte=latest_today)
        .select_related("participant__site", "definition")
        .order_by("participant__site__code", "window_close", "participant__study_code")
    )
    if site:
        visits = visits.filter(participant__site__code=site)
    found: list[Outstanding] = []
    grid: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for visit in visits[: limit * 4]:
        if visit.window_open > timeline.today_at(visit.participant.site.time_zone):
            continue
        rows = [
            r
            for r in visit_forms(user=user, visit=visit)
            if r.state in (c.FormState.MISSING, c.FormState.PARTIAL)
        ]
        if not rows:
            continue
        found.append(Outstanding(visit, rows))
        for row in rows:
            grid[visit.participant.site.code][row.code] += 1
        if len(found) >= limit:
            break
    return found, {k: dict(v) for k, v in grid.items()}


def query_list(*, user: Any, status: str = "", site: str = "") -> QuerySet[Query]:
    qs = Query.objects.for_user(user).select_related("participant__site", "response__instrument")
    if status:
        qs = qs.filter(status=status)
    if site:
        qs = qs.filter(participant__site__code=site)
    return qs.order_by("-opened_at", "-pk")


def query_get(*, user: Any, pk: int) -> Query:
    found = (
        Query.objects.for_user(user)
        .select_related("participant__site", "response__instrument", "measurement")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def domain_map(protocol: Any = None) -> dict[str, list[tuple[str, str]]]:
    """Functional domain → [(instrument, score or item)] for a protocol (or the default)."""
    rows = DomainMapping.objects.filter(protocol=protocol)
    if protocol is not None and not rows.exists():
        rows = DomainMapping.objects.filter(protocol=None)
    result: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in rows:
        result[row.domain].append((row.instrument_code, row.score_code))
    return dict(result)


def domain_values(response: Response, protocol: Any = None) -> dict[str, list[dict[str, Any]]]:
    """A response's values for each mapped domain (scores, or single items), with direction."""
    scores = {s.code: s for s in response.instrument.scores.all()}
    result: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for domain, targets in domain_map(protocol).items():
        for instrument_code, code in targets:
            if instrument_code != response.instrument.code:
                continue
            if code in scores:
                value = (response.scores.get(code) or {}).get("value")
                direction = scores[code].direction
            else:
                raw = response.answers.get(code)
                value = int(raw) if isinstance(raw, str) and raw.lstrip("-").isdigit() else None
                direction = c.Direction.HIGHER_WORSE
            result[domain].append(
                {
                    "instrument": instrument_code,
                    "code": code,
                    "value": value,
                    "direction": direction,
                }
            )
    return dict(result)


def today_for(participant: Any) -> dt.date:
    return timeline.today_at(participant.site.time_zone)


def response_files(response: Response | None) -> dict[str, ResponseFile]:
    """The files of a response by field name (the response was already reached for the user)."""
    if response is None:
        return {}
    return {f.field_name: f for f in ResponseFile.objects.filter(response=response)}


def response_file_get(*, user: Any, pk: int) -> ResponseFile:
    """A stored file the user may see (site isolation; a family only its own child's)."""
    found = (
        ResponseFile.objects.for_user(user)
        .select_related("response__participant__site")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise NotFound()
    return found
