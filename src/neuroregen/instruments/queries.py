"""Data quality and queries: the rules that open a query on a suspicious value, and the query
workflow (open, answer, close, re-open, comment), every step kept with its words.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import defaultdict
from typing import Any

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from neuroregen.biomarkers.models import Measurement
from neuroregen.core.audit import stamp
from neuroregen.core.errors import InvalidTransition, ValidationFailed
from neuroregen.core.permissions import require
from neuroregen.core.roles import Capability
from neuroregen.core.time import to_site
from neuroregen.core.wording import render, wording
from neuroregen.instruments import choices as c
from neuroregen.instruments import quality
from neuroregen.instruments.cohort import CohortScores
from neuroregen.instruments.errors import (
    ResponseConflict,
)
from neuroregen.instruments.models import (
    Instrument,
    Query,
    QueryEvent,
    Response,
)
from neuroregen.protocols import timeline


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
        score_defs=list(response.instrument.scores.all()),
        cohort=CohortScores(response.instrument, response.pk),
        today=timeline.today_at(response.participant.site.time_zone),
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
    # Birth dates are site calendar days; so is the collection day compared with them.
    collected = to_site(measurement.collected_at, measurement.participant).date()
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
        allowed, new_status, capability = _TRANSITIONS[c.QueryAction(action)]
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
