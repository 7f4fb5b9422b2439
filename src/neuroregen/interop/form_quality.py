"""Data-quality rules for the forms an import creates, as ``quality_check_response`` runs them
after each save, for many forms at once.

The cohort of each instrument (the scores of its complete forms) is read once, before the new
forms are written, and the new complete forms are added to it: the same cohort the rule sees
after the save. The outlier rule is screened with running sums; a possible outlier is then
decided by the rule itself on the exact cohort. The queries are created in bulk, each with its
history row and its "opened" event.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from simple_history.utils import bulk_create_with_history

from neuroregen.instruments import quality
from neuroregen.instruments import services as instrument_services
from neuroregen.instruments.choices import QueryAction, QueryRule
from neuroregen.instruments.models import Query, QueryEvent

if TYPE_CHECKING:
    from neuroregen.instruments.prepared import PreparedInstrument

Cohorts = dict[int, dict[str, list[float]]]  # instrument id → score code → values


class NewForm(Protocol):
    """What the rules read of a form just written (:class:`.form_creation.NewForm`). Declared
    here so that creating forms depends on these rules and not the other way round."""

    @property
    def participant(self) -> Any: ...
    @property
    def prepared(self) -> PreparedInstrument: ...
    @property
    def complete(self) -> bool: ...
    @property
    def values(self) -> dict[str, Any]: ...
    @property
    def pk(self) -> int | None: ...


def cohorts_before(forms: Sequence[NewForm]) -> Cohorts:
    """The stored cohort of every instrument among ``forms`` (read before they are written)."""
    return {
        pk: instrument_services._cohort_scores(prepared.instrument, None)
        for pk, prepared in {f.prepared.instrument.pk: f.prepared for f in forms}.items()
    }


def _score_values(scores: dict[str, Any]) -> dict[str, float]:
    return {
        code: float(r["value"])
        for code, r in (scores or {}).items()
        if isinstance(r, dict) and r.get("value") is not None
    }


def open_queries(user: Any, forms: Sequence[NewForm], cohorts: Cohorts) -> None:
    """Run every rule on the new (written) ``forms``; open a query for each finding."""
    from neuroregen.protocols import timeline

    by_instrument: dict[int, list[NewForm]] = {}
    for form in forms:
        by_instrument.setdefault(form.prepared.instrument.pk, []).append(form)
    today: dict[str, Any] = {}
    floors: dict[int, Any] = {}
    queries: list[Query] = []
    for instrument_pk, group in by_instrument.items():
        prepared = group[0].prepared
        cohort = {code: list(values) for code, values in cohorts[instrument_pk].items()}
        own = {id(form): _score_values(form.values["scores"]) for form in group}
        for form in group:  # the cohort after the save holds the new complete forms
            if form.complete:
                for code, score in own[id(form)].items():
                    cohort.setdefault(code, []).append(score)
        sums = {
            code: (len(v), math.fsum(v), math.fsum(x * x for x in v)) for code, v in cohort.items()
        }
        # Forms with the same score compare with the same others: decide each value once.
        decided: dict[tuple[str, float, bool], str | None] = {}
        for form in group:
            participant = form.participant
            zone = participant.site.time_zone
            if zone not in today:
                today[zone] = timeline.today_at(zone)
            if participant.pk not in floors:
                floors[participant.pk] = instrument_services._birth_floor(participant)
            values = form.values
            findings = prepared.rules.findings(
                answers=values["answers"],
                missing=values["missing"],
                status=values["status"],
                scores=values["scores"],
                cohort={},
                today=today[zone],
                earliest=floors[participant.pk],
            )
            findings += _outliers(prepared, own[id(form)], form.complete, cohort, sums, decided)
            for finding in findings:
                queries.append(
                    Query(
                        participant=participant,
                        response_id=form.pk,
                        field_name=finding.field_name,
                        rule=finding.rule,
                        message=finding.message[:500],
                        key=f"response:{form.pk}:{finding.rule}:{finding.field_name}",
                        opened_by=user,
                    )
                )
    if not queries:
        return
    bulk_create_with_history(
        queries, Query, default_user=user, default_change_reason="opened by data-quality rule"
    )
    QueryEvent.objects.bulk_create(
        QueryEvent(query=q, action=QueryAction.OPENED, text=q.message, author=user) for q in queries
    )


def _outliers(
    prepared: PreparedInstrument,
    own: dict[str, float],
    complete: bool,
    cohort: dict[str, list[float]],
    sums: dict[str, tuple[int, float, float]],
    decided: dict[tuple[str, float, bool], str | None],
) -> list[quality.Finding]:
    """The outlier findings of one form's scores ``own``: screened with the running ``sums``,
    then decided by the rule on the exact ``cohort`` (once per score, value and completeness,
    remembered in ``decided``)."""
    findings = []
    for definition in prepared.score_defs:
        value = own.get(definition.code)
        if value is None or not _maybe_outlier(value, sums.get(definition.code), complete):
            continue
        key = (definition.code, value, complete)
        if key not in decided:
            others = list(cohort.get(definition.code, []))
            if complete:  # the form itself is in the cohort
                others.remove(value)
            decided[key] = quality.outlier_message(value, others)
        message = decided[key]
        if message:
            findings.append(
                quality.Finding(
                    QueryRule.OUTLIER, definition.code, f"{definition.label}: {message}"
                )
            )
    return findings


def _maybe_outlier(value: float, sums: tuple[int, float, float] | None, included: bool) -> bool:
    """True unless running sums show ``value`` is clearly within 3 SD of the others' mean."""
    if sums is None:
        return False
    n, total, squares = sums
    if included:
        n, total, squares = n - 1, total - value, squares - value * value
    if n < quality.MIN_COHORT:
        return False
    mean = total / n
    variance = max(0.0, (squares - n * mean * mean) / (n - 1))
    # a margin keeps rounding from deciding: near the limit the exact rule decides
    return abs(value - mean) > 2.9 * math.sqrt(variance)
