"""The demo builder gives the cohort protocols, assignments, day 0s and visits across phases."""

from __future__ import annotations

import random

import pytest

from neuroregen.protocols.models import Assignment, Protocol
from neuroregen.protocols.visit_choices import Phase, VisitStatus
from neuroregen.synthetic.cohort import build_cohort
from neuroregen.synthetic.protocols import populate
from neuroregen.visits.models import Visit


@pytest.mark.django_db
def test_populate_spreads_visits_across_phases_and_statuses():
    cohort = build_cohort(n_participants=12)
    counts = populate(cohort, random.Random(7))

    assert counts["assignments"] >= 6
    assert Protocol.objects.filter(code="NR-CELL-01", version="1.1", status="active").exists()
    assert Protocol.objects.get(code="NR-CELL-01", version="1.0").status == "closed"
    in_force = Assignment.objects.filter(status__in=["confirmed", "overridden"])
    assert in_force.exclude(day_zero=None).count() >= 5
    visits = list(Visit.objects.filter(cancelled_on=None).select_related("participant__site"))
    statuses = {v.status for v in visits}
    assert {VisitStatus.DONE_IN_WINDOW, VisitStatus.UPCOMING} <= statuses
    assert statuses & {VisitStatus.OVERDUE, VisitStatus.DONE_OUT_OF_WINDOW, VisitStatus.MISSED}
    done_phases = {v.phase for v in visits if v.done_on}
    assert {Phase.BASELINE, Phase.EARLY} <= done_phases
