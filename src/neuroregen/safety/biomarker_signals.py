"""Biomarker signals: rules declaring a threshold (``safety.signals`` evaluates them), the
investigator review a crossing opens, and its closure.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from neuroregen.core.audit import stamp
from neuroregen.core.errors import InvalidTransition, ValidationFailed
from neuroregen.core.models import User
from neuroregen.core.permissions import require
from neuroregen.core.roles import Capability
from neuroregen.participants.models import Participant
from neuroregen.protocols import timeline
from neuroregen.safety import choices as c
from neuroregen.safety.models import AdverseEvent, BiomarkerSignalRule, SafetyReviewTask
from neuroregen.safety.signals import SignalSpec, signal_fires
from neuroregen.safety.signals import same_name as signals_same
from neuroregen.safety.write_helpers import site_zone, to_decimal


@transaction.atomic
def signal_rule_create(
    *,
    user: User,
    code: str,
    name: str,
    analyte: str,
    comparison: str,
    threshold: Decimal | str,
    unit: str,
    within_days: int | None = None,
    protocol: Any = None,
) -> BiomarkerSignalRule:
    """Declare a biomarker threshold that opens an investigator review when crossed."""
    require(user, Capability.CONFIGURE_SAFETY)
    if comparison not in c.Comparison.values:
        raise ValidationFailed(_("Unknown comparison."), field="comparison")
    if BiomarkerSignalRule.objects.filter(code=code).exists():
        raise ValidationFailed(_("A rule with this code already exists."), field="code")
    rule = BiomarkerSignalRule(
        code=code,
        name=name,
        analyte=analyte.strip(),
        comparison=comparison,
        threshold=to_decimal(threshold, "threshold"),
        unit=unit.strip(),
        within_days=within_days,
        protocol=protocol,
    )
    rule.full_clean()
    stamp(rule, user=user, reason="rule declared")
    rule.save()
    return rule


def days_since_last_administration(participant: Participant, moment: dt.datetime) -> int | None:
    """Site-calendar days from the most recent administration at or before ``moment`` (or from
    a recorded day 0 when there is no administration row, as in ``onset_context``)."""
    from neuroregen.products.models import Administration
    from neuroregen.protocols.selectors import current_assignment

    tz = site_zone(participant)
    latest = (
        Administration.objects.filter(participant=participant, started_at__lte=moment)
        .order_by("-started_at")
        .first()
    )
    if latest is not None:
        return timeline.study_day(latest.started_at, moment, tz)
    assignment = current_assignment(participant)
    if assignment is not None and assignment.day_zero is not None:
        day = timeline.study_day(assignment.day_zero, timeline.local_date(moment, tz))
        return day if day >= 0 else None
    return None


@transaction.atomic
def biomarker_signal_evaluate(
    *,
    user: User,
    participant: Participant,
    analyte: str,
    value: Decimal | str,
    unit: str,
    observed_at: dt.datetime,
    source_reference: str = "",
) -> list[SafetyReviewTask]:
    """Evaluate one biomarker result against the active signal rules; open a review task for
    every rule it fires. Returns the tasks opened (a result already evaluated opens none)."""
    require(user, Capability.VIEW, participant.site)
    if timezone.is_naive(observed_at):
        raise ValidationFailed(
            _("The sample time must include its time zone."), field="observed_at"
        )
    amount = to_decimal(value, "value")
    days = days_since_last_administration(participant, observed_at)
    protocol_id = None
    from neuroregen.protocols.selectors import current_assignment

    assignment = current_assignment(participant)
    if assignment is not None:
        protocol_id = assignment.protocol_id
    opened = []
    for rule in BiomarkerSignalRule.objects.filter(active=True):
        if rule.protocol_id is not None and rule.protocol_id != protocol_id:
            continue
        spec = SignalSpec(
            rule.analyte, rule.comparison, rule.threshold, rule.unit, rule.within_days
        )
        if not signal_fires(
            spec, analyte=analyte, value=amount, unit=unit, days_since_administration=days
        ):
            continue
        if (
            source_reference
            and SafetyReviewTask.objects.filter(
                rule=rule, participant=participant, source_reference=source_reference
            ).exists()
        ):
            continue
        task = SafetyReviewTask(
            participant=participant,
            rule=rule,
            analyte=analyte,
            value=amount,
            unit=unit,
            observed_at=observed_at,
            days_since_administration=days,
            source_reference=source_reference,
        )
        stamp(task, user=user, reason=f"signal: {rule}")
        task.save()
        opened.append(task)
    return opened


def biomarker_signals_for_measurement(*, user: User, measurement: Any) -> list[SafetyReviewTask]:
    """Evaluate one ``biomarkers.Measurement`` against the signal rules (the hook the
    biomarkers app calls after recording a value; safe to call again — a result opens a
    review once)."""
    if measurement.value is None:
        return []
    return biomarker_signal_evaluate(
        user=user,
        participant=measurement.participant,
        analyte=measurement.analyte,
        value=measurement.value,
        unit=measurement.unit,
        observed_at=measurement.collected_at,
        source_reference=f"measurement:{measurement.pk}",
    )


def biomarker_signal_sweep(*, user: User) -> list[SafetyReviewTask]:
    """Evaluate every visible measurement of an analyte some active rule watches."""
    from neuroregen.biomarkers.models import Measurement

    rules = list(BiomarkerSignalRule.objects.filter(active=True))
    if not rules:
        return []
    watched = {r.analyte for r in rules}
    opened: list[SafetyReviewTask] = []
    measurements = (
        Measurement.objects.for_user(user)
        .filter(value__isnull=False)
        .select_related("participant__site")
    )
    for measurement in measurements:
        if any(signals_same(measurement.analyte, a) for a in watched):
            opened += biomarker_signals_for_measurement(user=user, measurement=measurement)
    return opened


@transaction.atomic
def review_task_close(
    *,
    user: User,
    task: SafetyReviewTask,
    outcome: str,
    note: str = "",
    adverse_event: AdverseEvent | None = None,
) -> SafetyReviewTask:
    """The investigator closes a signal review with its outcome."""
    require(user, Capability.SIGN_CLINICAL, task.participant.site)
    task = SafetyReviewTask.objects.select_for_update(of=("self",)).get(pk=task.pk)
    if task.status == c.ReviewStatus.CLOSED:
        raise InvalidTransition(_("This review is already closed."))
    if outcome not in c.ReviewOutcome.values:
        raise ValidationFailed(_("Choose the outcome of the review."), field="outcome")
    if outcome == c.ReviewOutcome.AE_RECORDED and adverse_event is None:
        raise ValidationFailed(
            _("Name the adverse event that was recorded."), field="adverse_event"
        )
    if adverse_event is not None and adverse_event.participant_id != task.participant_id:
        raise ValidationFailed(
            _("The adverse event belongs to another participant."), field="adverse_event"
        )
    task.status = c.ReviewStatus.CLOSED
    task.outcome = outcome
    task.note = (note or "").strip()
    task.adverse_event = adverse_event
    task.closed_by = user
    task.closed_at = timezone.now()
    stamp(task, user=user, reason=f"review closed: {outcome}")
    task.save()
    return task
