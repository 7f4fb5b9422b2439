"""Day 0, visit generation, re-anchoring, rescheduling, recording, and amendments."""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from neuroregen.core.errors import NotPermitted, ValidationFailed
from neuroregen.protocols import services as protocol_services
from neuroregen.protocols import timeline
from neuroregen.protocols.visit_choices import VisitStatus
from neuroregen.synthetic.protocols import cell_protocol_document
from neuroregen.visits import services
from neuroregen.visits.errors import (
    DayZeroBeforeConsent,
    DayZeroInvalid,
    NoAssignmentInForce,
    VisitAlreadyRecorded,
    VisitDateInvalid,
)
from neuroregen.visits.models import Visit
from neuroregen.visits.selectors import expected_forms, expected_safety_checks, overdue_visits
from tests.protocols.builders import active_protocol, admin_user, confirmed, enrolled_participant


@pytest.fixture
def world(site_a, investigator_a):
    admin = admin_user()
    protocol = active_protocol(user=admin)
    child = enrolled_participant(investigator_a, site_a, days_ago=200)
    assignment = confirmed(investigator_a, child, protocol)
    today = timeline.today_at(site_a.time_zone)
    return {
        "admin": admin,
        "protocol": protocol,
        "child": child,
        "assignment": assignment,
        "today": today,
    }


def _by_code(visits):
    return {v.code: v for v in visits}


def test_day_zero_generates_the_schedule(world, investigator_a):
    today = world["today"]
    day_zero = today - dt.timedelta(days=20)
    visits = services.day_zero_record(
        user=investigator_a, participant=world["child"], day_zero=day_zero
    )
    codes = [v.code for v in visits]
    assert codes == [
        "SCR",
        "BL",
        "D0",
        "D7",
        "D14",
        "D28",
        "M2",
        "M3",
        "M4",
        "M6",
        "M9",
        "M12",
        "M24",
    ]
    v = _by_code(visits)
    assert v["D14"].target_date == day_zero + dt.timedelta(days=14)
    assert (v["D14"].window_open, v["D14"].window_close) == (
        day_zero + dt.timedelta(days=11),
        day_zero + dt.timedelta(days=17),
    )
    assert not any(x.provisional for x in visits)
    # statuses on today (day 20): D7 overdue, D28 upcoming (opens day 24); screening done
    assert v["D7"].status_on(today) == VisitStatus.OVERDUE
    assert v["D28"].status_on(today) == VisitStatus.UPCOMING
    assert v["SCR"].done_on == world["child"].screened_on
    assert v["D0"].done_on == day_zero
    assert v["D0"].status_on(today) == VisitStatus.DONE_IN_WINDOW
    assert expected_forms(v["D7"]) == ["cgi_i", "il6", "tnfa"]
    assert "ae_review" in expected_safety_checks(v["D7"])
    world["assignment"].refresh_from_db()
    assert world["assignment"].day_zero == day_zero


def test_day_zero_accepts_aware_moment_at_site_date(world, investigator_a, site_a):
    # 23:30 UTC is 01:30 or 02:30 the next day in Kyiv (site A's zone).
    moment = dt.datetime.combine(
        world["today"] - dt.timedelta(days=6), dt.time(23, 30), tzinfo=dt.UTC
    )
    services.day_zero_record(user=investigator_a, participant=world["child"], day_zero=moment)
    world["assignment"].refresh_from_db()
    assert world["assignment"].day_zero == world["today"] - dt.timedelta(days=5)
    assert world["assignment"].day_zero_at == moment
    with pytest.raises(DayZeroInvalid):
        services.day_zero_record(
            user=investigator_a,
            participant=world["child"],
            day_zero=dt.datetime(2026, 1, 1, 9, 0),  # noqa: DTZ001
        )


def test_day_zero_before_consent_is_refused_and_changes_nothing(world, investigator_a):
    child = world["child"]
    consent_day = child.consents.get().signed_on
    before = (world["assignment"].history.count(), Visit.objects.count())
    with pytest.raises(DayZeroBeforeConsent) as caught:
        services.day_zero_record(
            user=investigator_a, participant=child, day_zero=consent_day - dt.timedelta(days=1)
        )
    assert caught.value.code == "day_zero_before_consent"
    assert str(consent_day) in caught.value.message
    world["assignment"].refresh_from_db()
    assert world["assignment"].day_zero is None
    assert (world["assignment"].history.count(), Visit.objects.count()) == before


def test_day_zero_in_the_future_or_without_assignment_is_refused(world, investigator_a, site_a):
    with pytest.raises(DayZeroInvalid, match="in the future"):
        services.day_zero_record(
            user=investigator_a,
            participant=world["child"],
            day_zero=world["today"] + dt.timedelta(days=1),
        )
    other = enrolled_participant(investigator_a, site_a)
    with pytest.raises(NoAssignmentInForce):
        services.day_zero_record(user=investigator_a, participant=other, day_zero=world["today"])
    assert not Visit.objects.exists()


def test_day_zero_needs_permission_at_the_site(world, coordinator_b, monitor):
    for user in (coordinator_b, monitor):
        with pytest.raises(NotPermitted):
            services.day_zero_record(user=user, participant=world["child"], day_zero=world["today"])
    assert not Visit.objects.exists()


def test_planned_visits_are_re_anchored_on_the_actual_day_zero(site_a, investigator_a):
    protocol = active_protocol()
    child = enrolled_participant(investigator_a, site_a, days_ago=60)
    today = timeline.today_at(site_a.time_zone)
    planned = today + dt.timedelta(days=10)
    confirmed(investigator_a, child, protocol, planned_day_zero=planned)
    m3 = Visit.objects.get(participant=child, code="M3")
    assert m3.provisional
    assert m3.target_date == planned + dt.timedelta(days=90)
    actual = today - dt.timedelta(days=2)
    services.day_zero_record(user=investigator_a, participant=child, day_zero=actual)
    m3.refresh_from_db()
    assert not m3.provisional
    assert m3.target_date == actual + dt.timedelta(days=90)
    assert m3.scheduled_for == m3.target_date  # the booked slot followed the target
    old = m3.history.order_by("history_date")[0]
    assert old.target_date == planned + dt.timedelta(days=90)
    assert m3.history.first().history_change_reason == "day 0: first administration"


def test_reschedule_keeps_history_and_window(world, investigator_a, coordinator_a):
    visits = _by_code(
        services.day_zero_record(
            user=investigator_a,
            participant=world["child"],
            day_zero=world["today"] - dt.timedelta(days=3),
        )
    )
    d14 = visits["D14"]
    window = (d14.window_open, d14.window_close)
    first = d14.scheduled_for
    moved = services.visit_reschedule(
        user=coordinator_a,
        visit=d14,
        scheduled_for=first + dt.timedelta(days=2),
        reason="family asked for Friday",
    )
    moved = services.visit_reschedule(
        user=coordinator_a,
        visit=moved,
        scheduled_for=first + dt.timedelta(days=3),
        reason="clinic closed",
    )
    assert (moved.window_open, moved.window_close) == window
    history = list(
        moved.history.order_by("history_date").values_list("scheduled_for", "history_change_reason")
    )
    assert [h[0] for h in history][-3:] == [
        first,
        first + dt.timedelta(days=2),
        first + dt.timedelta(days=3),
    ]
    assert history[-1][1] == "clinic closed"
    with pytest.raises(ValidationFailed):
        services.visit_reschedule(user=coordinator_a, visit=moved, scheduled_for=first, reason=" ")


def test_recording_moves_status_and_refuses_bad_input(world, investigator_a, coordinator_a):
    today = world["today"]
    visits = _by_code(
        services.day_zero_record(
            user=investigator_a, participant=world["child"], day_zero=today - dt.timedelta(days=40)
        )
    )
    d7, d14, d28 = visits["D7"], visits["D14"], visits["D28"]
    assert {v.status_on(today) for v in (d7, d14, d28)} == {VisitStatus.OVERDUE}
    overdue = [v.code for v, _ in overdue_visits(user=coordinator_a)]
    assert overdue == ["BL", "D7", "D14", "D28"]  # D0 is done by definition of day 0

    with pytest.raises(VisitDateInvalid, match="future"):
        services.visit_record_done(
            user=coordinator_a, visit=d7, done_on=today + dt.timedelta(days=1)
        )
    d7 = services.visit_record_done(user=coordinator_a, visit=d7, done_on=d7.target_date)
    assert d7.status_on(today) == VisitStatus.DONE_IN_WINDOW
    d14 = services.visit_record_done(
        user=coordinator_a,
        visit=d14,
        done_on=d14.window_close + dt.timedelta(days=1),
        reason="family unavailable",
    )
    assert d14.status_on(today) == VisitStatus.DONE_OUT_OF_WINDOW
    with pytest.raises(ValidationFailed):
        services.visit_record_not_done(user=coordinator_a, visit=d28, reason="")
    d28 = services.visit_record_not_done(user=coordinator_a, visit=d28, reason="child unwell")
    assert d28.status_on(today) == VisitStatus.MISSED
    with pytest.raises(VisitAlreadyRecorded):
        services.visit_record_done(user=coordinator_a, visit=d28, done_on=today)
    assert [v.code for v, _ in overdue_visits(user=coordinator_a)] == ["BL"]


def test_amendment_applies_to_future_visits_only(world, investigator_a, coordinator_a):
    today = world["today"]
    day_zero = today - dt.timedelta(days=62)  # today is study day 62: M2 window 53..67 open
    visits = _by_code(
        services.day_zero_record(user=investigator_a, participant=world["child"], day_zero=day_zero)
    )
    d28 = services.visit_record_done(
        user=coordinator_a, visit=visits["D28"], done_on=visits["D28"].target_date
    )
    old_m2, old_m3 = visits["M2"], visits["M3"]

    admin = world["admin"]
    amendment = protocol_services.protocol_amend(
        user=admin, protocol=world["protocol"], version="1.1", reason="more sleep data"
    )
    doc = copy.deepcopy(cell_protocol_document("1.1"))
    for visit in doc["schedule"]:
        if visit["code"] in ("D28", "M2", "M3"):
            visit["instruments"] = [*visit["instruments"], "cshq"]
        if visit["code"] == "M4":
            visit["target_day"] = 125
    doc["schedule"].append(
        {
            "code": "M5",
            "name": "Month 5",
            "phase": "mid",
            "target_day": 148,
            "window_before": 2,
            "window_after": 2,
        }
    )
    protocol_services.protocol_update(user=admin, protocol=amendment, data=doc, reason="amend")
    protocol_services.protocol_activate(user=admin, protocol=amendment, effective_on=today)

    world["protocol"].refresh_from_db()
    assert world["protocol"].status == "closed"
    assignment = world["assignment"]
    assignment.refresh_from_db()
    assert assignment.protocol == amendment
    assert assignment.arm.protocol == amendment

    # recorded and already-open visits stay on the version they were scheduled under
    d28.refresh_from_db()
    old_m2.refresh_from_db()
    assert d28.definition.protocol == world["protocol"]
    assert "cshq" in expected_forms(d28)
    assert old_m2.cancelled_on is None
    assert old_m2.definition.protocol == world["protocol"]
    assert "cshq" not in expected_forms(old_m2)
    # future visits are replaced by the amended schedule; the old rows are kept, cancelled
    old_m3.refresh_from_db()
    assert old_m3.cancelled_on == today
    assert "superseded by amendment" in old_m3.cancel_reason
    live = _by_code(Visit.objects.filter(participant=world["child"], cancelled_on=None))
    assert live["M3"].definition.protocol == amendment
    assert "cshq" in expected_forms(live["M3"])
    assert live["M4"].target_date == day_zero + dt.timedelta(days=125)
    assert "M5" in live
    assert live["D7"].definition.protocol == world["protocol"]
