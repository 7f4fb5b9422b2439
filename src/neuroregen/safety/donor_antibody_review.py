"""A new donor-specific anti-HLA antibody (DSA) after an administration opens an investigator
review, the same kind of task a biomarker signal opens, so it reaches the safety dashboard.

The products app sends ``products.signals.new_donor_specific_antibody`` from
``antibody_screen_record``; the safety app's receiver (``safety.receivers``) calls
:func:`review_open_for_new_dsa` in the same transaction. The review hangs off one
programme-wide rule row ``new-dsa``; that rule is inactive because it is not evaluated against
biomarker measurements — the products app has already decided that the antibody is
donor-specific and new.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from neuroregen.core.audit import stamp
from neuroregen.safety import choices as c
from neuroregen.safety.biomarker_signals import days_since_last_administration
from neuroregen.safety.models import BiomarkerSignalRule, SafetyReviewTask

RULE_CODE = "new-dsa"
ANALYTE = "anti-HLA DSA"
UNIT = "new DSA"


def dsa_rule(user: Any) -> BiomarkerSignalRule:
    rule = BiomarkerSignalRule.objects.filter(code=RULE_CODE).first()
    if rule is None:
        rule = BiomarkerSignalRule(
            code=RULE_CODE,
            name="New donor-specific anti-HLA antibody after administration",
            analyte=ANALYTE,
            comparison=c.Comparison.GT,
            threshold=Decimal(0),
            unit=UNIT,
            active=False,
        )
        stamp(rule, user=user, reason="system rule: new DSA opens a safety review")
        rule.save()
    return rule


def review_open_for_new_dsa(
    *, user: Any, screen: Any, new_specificities: set[str]
) -> SafetyReviewTask | None:
    """Open one review for an antibody screen with a new DSA (none if already opened)."""
    if not new_specificities:
        return None
    rule = dsa_rule(user)
    reference = f"antibody_screen:{screen.pk}"
    participant = screen.participant
    if SafetyReviewTask.objects.filter(
        rule=rule, participant=participant, source_reference=reference
    ).exists():
        return None
    tz = ZoneInfo(participant.site.time_zone)
    day_start = dt.datetime.combine(screen.sampled_on, dt.time(), tzinfo=tz)
    day_end = dt.datetime.combine(screen.sampled_on, dt.time(23, 59, 59), tzinfo=tz)
    task = SafetyReviewTask(
        participant=participant,
        rule=rule,
        analyte=f"{ANALYTE} {', '.join(sorted(new_specificities))}"[:40],
        value=Decimal(len(new_specificities)),
        unit=UNIT,
        observed_at=day_start,
        # Any administration earlier on the sampling day counts: the time of sampling is unknown.
        days_since_administration=days_since_last_administration(participant, day_end),
        source_reference=reference,
    )
    stamp(task, user=user, reason="new donor-specific antibody after administration")
    task.save()
    return task
