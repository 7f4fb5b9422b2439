"""The query workflow: open → answered → closed, with comments, audited and never deleted."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from neuroregen.biomarkers.models import Measurement
from neuroregen.core.errors import InvalidTransition, NotPermitted, ValidationFailed
from neuroregen.core.roles import Role
from neuroregen.instruments import services
from neuroregen.instruments.choices import QueryRule
from neuroregen.instruments.models import Query
from neuroregen.instruments.quality import outlier_message
from neuroregen.instruments.queries import _birth_floor, quality_check_measurement
from tests.helpers import enrolled, make_user
from tests.instruments.builders import participant_with_visits

pytestmark = pytest.mark.django_db


def test_workflow_is_audited_and_ordered(site_a, coordinator_a, investigator_a, monitor):
    participant = enrolled(coordinator_a, site_a)
    query = services.query_open(
        user=coordinator_a,
        participant=participant,
        message="Weight looks transposed",
        field_name="weight",
    )
    with pytest.raises(NotPermitted):
        services.query_act(user=monitor, query=query, action="answered", text="monitor edit")
    with pytest.raises(NotPermitted):  # coordinators answer; investigators close
        services.query_act(user=coordinator_a, query=query, action="closed", text="done")
    query = services.query_act(
        user=coordinator_a, query=query, action="answered", text="Checked source: 21.5 kg is right"
    )
    assert query.status == "answered"
    with pytest.raises(InvalidTransition):
        services.query_act(user=coordinator_a, query=query, action="answered", text="again")
    query = services.query_act(user=investigator_a, query=query, action="comment", text="Agree")
    query = services.query_act(user=investigator_a, query=query, action="closed", text="Resolved")
    assert query.status == "closed"
    assert [e.action for e in query.events.all()] == ["opened", "answered", "comment", "closed"]
    assert query.history.count() == 3  # opened, answered, closed — each with who and why
    with pytest.raises(ValidationFailed):
        services.query_act(user=investigator_a, query=query, action="comment", text="  ")
    with pytest.raises(ValidationFailed, match="never deleted"):
        query.delete()
    with pytest.raises(ValidationFailed):
        query.events.first().delete()
    assert Query.objects.filter(pk=query.pk).exists()
    services.query_act(user=investigator_a, query=query, action="reopened", text="New source doc")
    query.refresh_from_db()
    assert query.status == "open"


def test_other_site_cannot_act(site_a, site_b, coordinator_a, coordinator_b):
    participant = enrolled(coordinator_a, site_a)
    query = services.query_open(user=coordinator_a, participant=participant, message="check")
    with pytest.raises(NotPermitted):
        services.query_act(user=coordinator_b, query=query, action="answered", text="x")
    admin_b = make_user(Role.INVESTIGATOR, site_b)
    with pytest.raises(NotPermitted):
        services.query_act(user=admin_b, query=query, action="closed", text="x")


def test_outlier_rule_needs_a_cohort_and_three_sd():
    cohort = [50.0, 52, 48, 51, 49, 50, 53, 47, 50, 50]
    assert outlier_message(51, cohort) is None
    assert "SD from the cohort" in outlier_message(80, cohort)
    assert outlier_message(80, cohort[:5]) is None  # too few to judge


def test_collection_day_is_read_on_the_site_calendar(site_a, coordinator_a):
    """A sample taken at 00:30 in Kyiv on the first day the child can have lived is plausible;
    in UTC it is still the evening before, which must not raise an impossible-date query."""
    participant, visits = participant_with_visits(coordinator_a, site_a)
    first_possible = _birth_floor(participant)
    at_site = dt.datetime.combine(first_possible, dt.time(0, 30), ZoneInfo(site_a.time_zone))
    measurement = Measurement.objects.create(
        participant=participant,
        visit=visits["BL"],
        analyte="il6",
        value=3,
        unit="pg/mL",
        matrix="serum",
        collected_at=at_site,
    )
    measurement.refresh_from_db()  # as every later reader gets it: in UTC
    rules = {q.rule for q in quality_check_measurement(measurement=measurement, user=None)}
    assert QueryRule.IMPOSSIBLE_DATE not in rules

    # 23:30 the day before, in Kyiv
    Measurement.objects.filter(pk=measurement.pk).update(
        collected_at=at_site - dt.timedelta(hours=1)
    )
    measurement.refresh_from_db()
    rules = {q.rule for q in quality_check_measurement(measurement=measurement, user=None)}
    assert QueryRule.IMPOSSIBLE_DATE in rules
