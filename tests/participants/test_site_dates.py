"""Today is the SITE's calendar date, not the server's UTC date.

At 22:30 UTC on 1 March it is already 00:30 on 2 March in Kyiv; at 00:30 UTC on 2 March it is
still 14:30 on 1 March in Honolulu. A date defaulted to or checked against "today" must follow
the record's site in both directions.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from neuroregen.core.errors import ValidationFailed
from neuroregen.core.roles import Role
from neuroregen.core.services import site_create
from neuroregen.participants import services as ps
from neuroregen.visits import services as visit_services
from neuroregen.visits.errors import VisitDateInvalid
from tests.helpers import PASSWORD, consent_document, make_user, screen
from tests.instruments.builders import participant_with_visits

KYIV_AFTER_MIDNIGHT = dt.datetime(2026, 3, 1, 22, 30, tzinfo=dt.UTC)  # 00:30, 2 March in Kyiv
HONOLULU_AFTERNOON = dt.datetime(2026, 3, 2, 0, 30, tzinfo=dt.UTC)  # 14:30, 1 March there
UTC_1_MARCH = dt.date(2026, 3, 1)
UTC_2_MARCH = dt.date(2026, 3, 2)


@pytest.fixture
def clock(monkeypatch):
    """Set the one clock every "today" reads (Django's ``timezone.now``)."""

    def set_to(moment: dt.datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return set_to


@pytest.fixture
def honolulu(db):
    return site_create(code="SITE-HNL", name="Site H", country="US", time_zone="Pacific/Honolulu")


def _consent(user, participant, on):
    return ps.consent_record(
        user=user,
        participant=participant,
        document=consent_document(),
        signed_on=on,
        signed_by_relationship="mother",
    )


@pytest.mark.django_db
def test_a_child_screened_after_midnight_in_kyiv_gets_the_kyiv_date(clock, coordinator_a, site_a):
    clock(KYIV_AFTER_MIDNIGHT)
    participant = screen(coordinator_a, site_a)
    assert participant.screened_on == UTC_2_MARCH


@pytest.mark.django_db
def test_the_screening_form_offers_the_kyiv_date(clock, client, coordinator_a, site_a):
    clock(KYIV_AFTER_MIDNIGHT)
    client.login(username=coordinator_a.username, password=PASSWORD)
    page = client.get(reverse("participant_create"))
    assert page.context["form"].initial["screened_on"] == UTC_2_MARCH


@pytest.mark.django_db
def test_kyiv_staff_may_record_consent_enrolment_and_withdrawal_on_their_today(
    clock, coordinator_a, site_a
):
    clock(KYIV_AFTER_MIDNIGHT)
    participant = screen(coordinator_a, site_a)
    _consent(coordinator_a, participant, UTC_2_MARCH)
    participant = ps.participant_enrol(user=coordinator_a, participant=participant)
    assert participant.enrolled_on == UTC_2_MARCH
    withdrawal = ps.consent_withdraw(
        user=coordinator_a,
        participant=participant,
        scope="no_further_contact",
        effective_on=UTC_2_MARCH,
    )
    assert withdrawal.effective_on == UTC_2_MARCH


@pytest.mark.django_db
def test_kyiv_staff_may_record_a_visit_done_on_their_today(clock, coordinator_a, site_a):
    clock(KYIV_AFTER_MIDNIGHT)
    _participant, visits = participant_with_visits(coordinator_a, site_a)
    visit = next(v for v in visits.values() if v.is_open and v.window_open <= UTC_2_MARCH)
    done = visit_services.visit_record_done(user=coordinator_a, visit=visit, done_on=UTC_2_MARCH)
    assert done.done_on == UTC_2_MARCH


@pytest.mark.django_db
def test_honolulu_cannot_record_the_utc_date_that_is_still_its_tomorrow(clock, honolulu):
    coordinator = make_user(Role.COORDINATOR, honolulu)
    clock(HONOLULU_AFTERNOON - dt.timedelta(hours=2))  # 12:30 on 1 March in Honolulu
    participant = screen(coordinator, honolulu)
    assert participant.screened_on == UTC_1_MARCH
    clock(HONOLULU_AFTERNOON)  # UTC has moved on to 2 March; Honolulu has not
    with pytest.raises(ValidationFailed, match="future"):
        _consent(coordinator, participant, UTC_2_MARCH)
    with pytest.raises(ValidationFailed, match="future"):
        ps.consent_withdraw(
            user=coordinator,
            participant=participant,
            scope="no_further_contact",
            effective_on=UTC_2_MARCH,
        )
    _consent(coordinator, participant, UTC_1_MARCH)
    participant = ps.participant_enrol(user=coordinator, participant=participant)
    assert participant.enrolled_on == UTC_1_MARCH


@pytest.mark.django_db
def test_honolulu_visit_dated_its_tomorrow_is_refused(clock, honolulu):
    coordinator = make_user(Role.COORDINATOR, honolulu)
    clock(HONOLULU_AFTERNOON)
    _participant, visits = participant_with_visits(coordinator, honolulu)
    visit = next(v for v in visits.values() if v.is_open and v.window_open <= UTC_1_MARCH)
    with pytest.raises(VisitDateInvalid, match="future"):
        visit_services.visit_record_done(user=coordinator, visit=visit, done_on=UTC_2_MARCH)
