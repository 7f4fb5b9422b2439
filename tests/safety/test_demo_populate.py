"""The safety demo builder: realistic events through the services, clocks in every state."""

from __future__ import annotations

import random

import pytest

from neuroregen.safety.models import AdverseEvent, BiomarkerSignalRule, ReportingClock
from neuroregen.safety.selectors import stopping_rule_states
from neuroregen.synthetic import protocols as protocol_demo
from neuroregen.synthetic import safety as safety_demo
from neuroregen.synthetic.cohort import build_cohort


@pytest.mark.django_db
def test_populate_builds_events_and_clocks_in_every_state():
    cohort = build_cohort(n_participants=12)
    protocol_demo.populate(cohort, random.Random(3))
    counts = safety_demo.populate(cohort, random.Random(5))
    assert counts["serious"] == 5
    assert AdverseEvent.objects.filter(is_serious=True).count() == 4  # one was reassessed
    states = {clock.state() for clock in ReportingClock.objects.all()}
    assert states == {"due", "overdue", "submitted", "submitted_late", "not_required"}
    assert AdverseEvent.objects.exclude(days_since_administration=None).exists()
    assert all("SYNTHETIC" in e.description for e in AdverseEvent.objects.all())
    assert BiomarkerSignalRule.objects.filter(code="il6-early").exists()
    assert stopping_rule_states(user=cohort.system_user)
    again = safety_demo.populate(cohort, random.Random(5))
    assert again["events"] == 0  # idempotent
