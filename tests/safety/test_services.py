"""Adverse events: validation, seriousness, context, AESI flags, follow-up, sign-off, clocks."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from neuroregen.core.errors import (
    AppendOnlyError,
    InvalidTransition,
    NotPermitted,
    SignatureRejected,
    ValidationFailed,
)
from neuroregen.core.roles import Role
from neuroregen.core.services import signature_verify
from neuroregen.safety import services as s
from neuroregen.safety.models import (
    AdverseEvent,
    AdverseEventFollowUp,
    InvestigatorSignOff,
    ReportingClock,
)
from tests.helpers import PASSWORD, enrolled, make_user, site_a_today
from tests.safety.builders import ae_data, record, with_day_zero

KYIV = ZoneInfo("Europe/Kyiv")
pytestmark = pytest.mark.django_db


@pytest.fixture
def child(site_a, coordinator_a):
    return enrolled(coordinator_a, site_a)


def _nothing_saved():
    assert AdverseEvent.objects.count() == 0
    assert AdverseEventFollowUp.objects.count() == 0
    assert ReportingClock.objects.count() == 0


@pytest.mark.parametrize(
    ("overrides", "serious", "field", "words"),
    [
        (
            {
                "onset_date": dt.date(2025, 5, 10),
                "resolution_date": dt.date(2025, 5, 8),
                "outcome": "recovered",
            },
            None,
            "resolution_date",
            "before the onset date",
        ),
        (
            {"grade": 5, "outcome": "recovered", "serious_death": True},
            True,
            "outcome",
            "Grade 5 means the event caused death",
        ),
        ({"grade": 3}, True, "serious", "no seriousness criterion is ticked"),
    ],
)
def test_bad_input_gets_a_specific_message_and_changes_nothing(
    child, coordinator_a, overrides, serious, field, words
):
    with pytest.raises(ValidationFailed) as caught:
        record(coordinator_a, child, serious=serious, **overrides)
    assert caught.value.field == field
    assert words in caught.value.message
    _nothing_saved()


def test_criterion_ticked_but_marked_not_serious_is_refused(child, coordinator_a):
    with pytest.raises(ValidationFailed, match="so the event is serious"):
        record(coordinator_a, child, serious=False, serious_hospitalisation=True)
    _nothing_saved()


def test_awareness_before_onset_is_refused(child, coordinator_a):
    onset = site_a_today() - dt.timedelta(days=1)
    aware = dt.datetime.combine(onset - dt.timedelta(days=3), dt.time(9), tzinfo=KYIV)
    with pytest.raises(ValidationFailed, match="before the onset") as caught:
        record(coordinator_a, child, onset_date=onset, aware_at=aware)
    assert caught.value.field == "aware_at"
    _nothing_saved()


def test_grade_and_seriousness_are_independent(child, coordinator_a):
    severe_not_serious = record(coordinator_a, child, grade=4, serious=False)
    assert severe_not_serious.is_serious is False
    assert severe_not_serious.clocks.count() == 0
    mild_serious = record(coordinator_a, child, grade=1, serious=True, serious_hospitalisation=True)
    assert mild_serious.is_serious is True
    assert mild_serious.grade == 1
    assert list(mild_serious.clocks.values_list("kind", flat=True)) == ["sponsor_24h"]


def test_fatal_event_needs_death_criterion_and_grade_5(child, coordinator_a):
    with pytest.raises(ValidationFailed, match="Results in death"):
        record(
            coordinator_a,
            child,
            grade=5,
            outcome="fatal",
            serious=True,
            serious_hospitalisation=True,
        )
    with pytest.raises(ValidationFailed, match="A fatal outcome is grade 5"):
        record(coordinator_a, child, grade=4, outcome="fatal", serious=True, serious_death=True)
    _nothing_saved()
    event = record(
        coordinator_a,
        child,
        grade=5,
        outcome="fatal",
        serious=True,
        serious_death=True,
        resolution_date=site_a_today(),
    )
    assert event.is_serious


def test_permission_needed_and_monitor_cannot_record(child, monitor, statistician):
    for user in (monitor, statistician):
        with pytest.raises(NotPermitted):
            record(user, child)
    _nothing_saved()


def test_record_writes_initial_follow_up_and_audit(child, coordinator_a):
    event = record(coordinator_a, child, description="vomited twice after lunch")
    assert event.code.startswith("AE-")
    entries = list(event.follow_ups.all())
    assert [e.kind for e in entries] == ["initial"]
    assert event.history.first().history_user == coordinator_a


def test_context_from_day_zero(site_a, coordinator_a):
    participant = with_day_zero(coordinator_a, site_a, day_zero_days_ago=40)
    event = record(coordinator_a, participant, onset_date=site_a_today() - dt.timedelta(days=10))
    assert event.days_since_administration == 30
    assert event.study_day == 30
    assert event.phase == "early"
    assert event.arm_code == "neuro-it"
    assert event.route == "it"
    assert event.protocol_label == "SAF-TEST v1.0"
    before = record(coordinator_a, participant, onset_date=site_a_today() - dt.timedelta(days=45))
    assert before.days_since_administration is None
    assert before.phase == "baseline"


# --- AESI ----------------------------------------------------------------------------------


def test_aesi_flag_from_catalogue_and_investigator_choice_sticks(site_a, coordinator_a):
    participant = with_day_zero(coordinator_a, site_a, day_zero_days_ago=3)
    seizure = record(coordinator_a, participant, term="Febrile seizure", soc="nervous")
    assert (seizure.aesi_category, seizure.aesi_source) == ("seizure", "catalogue")
    headache = record(coordinator_a, participant, term="Headache", soc="nervous")
    assert headache.aesi_category == "post_intrathecal"  # route it, 3 days after day 0
    rash = record(coordinator_a, participant, term="Rash", soc="skin")
    assert rash.aesi_category == ""
    cleared = s.adverse_event_update(
        user=coordinator_a,
        event=headache,
        changes={"aesi_category": ""},
        reason="tension headache, not procedural",
        expected_version=headache.row_version,
    )
    assert (cleared.aesi_category, cleared.aesi_source) == ("", "investigator")
    again = s.adverse_event_update(
        user=coordinator_a,
        event=cleared,
        changes={"description": "resolved with rest"},
        reason="follow-up",
        expected_version=cleared.row_version,
    )
    assert again.aesi_category == ""  # the catalogue does not override the investigator


# --- follow-up timeline and sign-off -------------------------------------------------------


def test_follow_up_timeline_is_append_only(child, coordinator_a):
    event = record(coordinator_a, child)
    entry = s.adverse_event_follow_up(user=coordinator_a, event=event, note="phoned family")
    entry.note = "rewritten"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(ValidationFailed, match="Write the follow-up note"):
        s.adverse_event_follow_up(user=coordinator_a, event=event, note="  ")
    assert event.follow_ups.count() == 2


def test_update_needs_reason_and_current_version_and_is_appended(child, coordinator_a):
    event = record(coordinator_a, child)
    with pytest.raises(ValidationFailed, match="reason"):
        s.adverse_event_update(
            user=coordinator_a,
            event=event,
            changes={"grade": 3},
            reason="",
            expected_version=event.row_version,
        )
    with pytest.raises(Exception, match="changed by someone else"):
        s.adverse_event_update(
            user=coordinator_a,
            event=event,
            changes={"grade": 3},
            reason="worse",
            expected_version=event.row_version - 1,
        )
    updated = s.adverse_event_update(
        user=coordinator_a,
        event=event,
        changes={"grade": 3},
        reason="worsened overnight",
        expected_version=event.row_version,
    )
    last = updated.follow_ups.last()
    assert last.kind == "update"
    assert last.changes == {"grade": {"from": 2, "to": 3}}
    assert updated.history.first().history_change_reason == "worsened overnight"


def test_bad_update_changes_nothing(child, coordinator_a):
    event = record(coordinator_a, child)
    version, entries = event.row_version, event.follow_ups.count()
    with pytest.raises(ValidationFailed, match="before the onset date"):
        s.adverse_event_update(
            user=coordinator_a,
            event=event,
            changes={"resolution_date": event.onset_date - dt.timedelta(days=1)},
            reason="typo",
            expected_version=version,
        )
    event.refresh_from_db()
    assert event.row_version == version
    assert event.follow_ups.count() == entries


def test_investigator_sign_off(child, coordinator_a, investigator_a):
    event = record(coordinator_a, child, grade=3)
    with pytest.raises(NotPermitted):
        s.adverse_event_sign_off(user=coordinator_a, event=event, password=PASSWORD)
    with pytest.raises(SignatureRejected):
        s.adverse_event_sign_off(user=investigator_a, event=event, password="wrong")
    assert InvestigatorSignOff.objects.count() == 0
    sign_off = s.adverse_event_sign_off(user=investigator_a, event=event, password=PASSWORD)
    assert s.sign_off_current(event) == sign_off
    assert signature_verify(sign_off.signature())
    with pytest.raises(InvalidTransition):
        s.adverse_event_sign_off(user=investigator_a, event=event, password=PASSWORD)
    event = s.adverse_event_update(
        user=coordinator_a,
        event=event,
        changes={"relatedness_product": "probable"},
        reason="new information",
        expected_version=event.row_version,
    )
    assert s.sign_off_current(event) is None  # the signed assessment no longer stands
    event.refresh_from_db()
    s.adverse_event_sign_off(user=investigator_a, event=event, password=PASSWORD)
    assert s.sign_off_current(event) is not None


# --- reporting clocks ----------------------------------------------------------------------


def _aware(days_ago: int, hour: int, minute: int = 0, tz=KYIV) -> dt.datetime:
    day = site_a_today() - dt.timedelta(days=days_ago)
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=tz)


def test_unexpected_fatal_suspected_reaction_starts_7_day_clock(child, coordinator_a):
    aware = _aware(2, 23, 30)
    event = record(
        coordinator_a,
        child,
        grade=4,
        serious=True,
        serious_life_threatening=True,
        relatedness_product="probable",
        expectedness="unexpected",
        aware_at=aware,
        onset_date=aware.date() - dt.timedelta(days=1),
    )
    clocks = {c.kind: c for c in event.clocks.all()}
    assert set(clocks) == {"sponsor_24h", "ind_7d"}
    assert clocks["sponsor_24h"].due_at == aware + dt.timedelta(hours=24)
    due = clocks["ind_7d"].due_at.astimezone(KYIV)
    assert due.date() == aware.date() + dt.timedelta(days=7)  # calendar days at the site
    assert (due.hour, due.minute) == (23, 59)


def test_other_serious_unexpected_suspected_reaction_starts_15_day_clock(child, coordinator_a):
    event = record(
        coordinator_a,
        child,
        grade=2,
        serious=True,
        serious_hospitalisation=True,
        relatedness_product="possible",
        expectedness="unexpected",
    )
    assert set(event.clocks.values_list("kind", flat=True)) == {"sponsor_24h", "ind_15d"}
    expected = record(
        coordinator_a,
        child,
        grade=2,
        serious=True,
        serious_hospitalisation=True,
        relatedness_product="definite",
        expectedness="expected",
    )
    assert set(expected.clocks.values_list("kind", flat=True)) == {"sponsor_24h"}
    procedure_only = record(
        coordinator_a,
        child,
        grade=3,
        serious=True,
        serious_hospitalisation=True,
        relatedness_product="unlikely",
        relatedness_procedure="definite",
        expectedness="unexpected",
    )
    assert set(procedure_only.clocks.values_list("kind", flat=True)) == {"sponsor_24h"}


def test_calendar_days_span_daylight_saving_change_at_site(site_b, coordinator_b):
    # London moves to summer time on 29 March 2026: the 7 days from 25 March have 167 hours,
    # but the report is still due at the end of 1 April, London time.
    from neuroregen.safety.clocks import due_at

    london = ZoneInfo("Europe/London")
    aware = dt.datetime(2026, 3, 25, 10, 0, tzinfo=london)
    due = due_at("ind_7d", aware, "Europe/London")
    assert due.astimezone(london).date() == dt.date(2026, 4, 1)
    assert due.utcoffset() == dt.timedelta(hours=1)
    # Same instant, Kyiv calendar: 12:00 on 25 March there too, so also 1 April (Kyiv).
    assert due_at("ind_7d", aware, "Europe/Kyiv").astimezone(KYIV).date() == dt.date(2026, 4, 1)
    # Late evening UTC is already the next day in Kyiv: the clock counts from the Kyiv date.
    late = dt.datetime(2026, 3, 25, 22, 30, tzinfo=dt.UTC)
    assert due_at("ind_15d", late, "Europe/Kyiv").astimezone(KYIV).date() == dt.date(2026, 4, 10)
    assert due_at("ind_15d", late, "Europe/London").date() == dt.date(2026, 4, 9)


def test_clock_states_due_overdue_submitted(child, coordinator_a):
    event = record(
        coordinator_a,
        child,
        grade=3,
        serious=True,
        serious_hospitalisation=True,
        relatedness_product="possible",
        expectedness="unexpected",
        aware_at=_aware(3, 9),
        onset_date=site_a_today() - dt.timedelta(days=3),
    )
    clocks = {c.kind: c for c in event.clocks.all()}
    assert clocks["sponsor_24h"].state() == "overdue"
    assert clocks["ind_15d"].state() == "due"
    late = s.clock_submit(
        user=coordinator_a,
        clock=clocks["sponsor_24h"],
        submitted_at=timezone.now() - dt.timedelta(hours=1),
        reference="SPN-1",
    )
    assert late.state() == "submitted_late"
    on_time = s.clock_submit(
        user=coordinator_a, clock=clocks["ind_15d"], submitted_at=timezone.now(), reference="IND-77"
    )
    assert on_time.state() == "submitted"
    with pytest.raises(InvalidTransition):
        s.clock_submit(user=coordinator_a, clock=on_time, submitted_at=timezone.now())


def test_submission_before_awareness_or_in_future_is_refused(child, coordinator_a):
    event = record(
        coordinator_a, child, serious=True, serious_hospitalisation=True, aware_at=_aware(1, 9)
    )
    clock = event.clocks.get()
    for when, words in (
        (_aware(2, 9), "before the site became aware"),
        (timezone.now() + dt.timedelta(hours=2), "in the future"),
    ):
        with pytest.raises(ValidationFailed, match=words):
            s.clock_submit(user=coordinator_a, clock=clock, submitted_at=when)
    clock.refresh_from_db()
    assert clock.submitted_at is None


def test_awareness_edit_moves_clocks_and_is_audited(child, coordinator_a):
    first = _aware(2, 10)
    event = record(
        coordinator_a,
        child,
        serious=True,
        serious_hospitalisation=True,
        relatedness_product="possible",
        expectedness="unexpected",
        aware_at=first,
        onset_date=site_a_today() - dt.timedelta(days=4),
    )
    corrected = _aware(3, 16)
    event = s.adverse_event_update(
        user=coordinator_a,
        event=event,
        changes={"aware_at": corrected},
        reason="site was told by phone the day before",
        expected_version=event.row_version,
    )
    clocks = {c.kind: c for c in event.clocks.all()}
    assert clocks["sponsor_24h"].due_at == corrected + dt.timedelta(hours=24)
    assert clocks["ind_15d"].due_at.astimezone(KYIV).date() == corrected.date() + dt.timedelta(
        days=15
    )
    history = event.history.first()
    assert history.history_change_reason == "site was told by phone the day before"
    assert history.aware_at == corrected
    assert event.history.all()[1].aware_at == first
    clock_history = clocks["sponsor_24h"].history.first()
    assert "event reassessed" in clock_history.history_change_reason
    update = event.follow_ups.filter(kind="update").get()
    assert "aware_at" in update.changes


def test_reassessment_retires_unsubmitted_clock_but_keeps_it(child, coordinator_a):
    event = record(coordinator_a, child, serious=True, serious_hospitalisation=True)
    event = s.adverse_event_update(
        user=coordinator_a,
        event=event,
        changes={"serious_hospitalisation": False},
        serious=False,
        reason="admission was elective, planned before the event",
        expected_version=event.row_version,
    )
    clock = event.clocks.get()
    assert clock.required is False
    assert clock.state() == "not_required"


def test_coordinator_of_other_site_cannot_record_or_submit(child, coordinator_a, coordinator_b):
    with pytest.raises(NotPermitted):
        record(coordinator_b, child)
    event = record(coordinator_a, child, serious=True, serious_hospitalisation=True)
    with pytest.raises(NotPermitted):
        s.clock_submit(user=coordinator_b, clock=event.clocks.get(), submitted_at=timezone.now())


def test_unknown_field_is_refused(child, coordinator_a):
    with pytest.raises(ValidationFailed, match="cannot be set"):
        s.adverse_event_record(
            user=coordinator_a, participant=child, data={**ae_data(), "is_serious": True}
        )
    _nothing_saved()


def test_lab_user_cannot_record(child, site_a):
    lab = make_user(Role.LAB, site_a)
    with pytest.raises(NotPermitted):
        record(lab, child)
