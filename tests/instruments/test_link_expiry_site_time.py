"""A family link "valid for N days" lasts to the end of day N on the site's calendar, and its
expiry is shown in the site's zone (the server runs in UTC; the site is at UTC−5/−4)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from neuroregen.core.roles import Role
from neuroregen.core.services import site_create
from neuroregen.instruments import services
from neuroregen.protocols import timeline
from tests.helpers import make_user
from tests.instruments.builders import participant_with_visits
from tests.security.battery import client_for

pytestmark = pytest.mark.django_db

NEW_YORK = "America/New_York"


@pytest.fixture(autouse=True)
def _server_in_utc(settings):
    settings.TIME_ZONE = "UTC"


@pytest.fixture
def world(db):
    site = site_create(code="NYC-01", name="New York", country="US", time_zone=NEW_YORK)
    coordinator = make_user(Role.COORDINATOR, site, "coord-ny")
    _participant, visits = participant_with_visits(coordinator, site)
    return coordinator, visits["BL"]


def test_link_lasts_to_the_end_of_the_last_site_day(world):
    coordinator, visit = world
    link, _token = services.link_create(
        user=coordinator, visit=visit, instrument="atec", valid_days=7
    )
    local = link.expires_at.astimezone(ZoneInfo(NEW_YORK))
    assert local.date() == timeline.today_at(NEW_YORK) + dt.timedelta(days=7)
    assert (local.hour, local.minute) == (23, 59)
    assert link.expires_at > timezone.now() + dt.timedelta(days=6)


def test_link_page_shows_expiry_in_site_time(world):
    coordinator, visit = world
    response = client_for(coordinator).post(
        reverse("instrument_link_create", kwargs={"visit_id": visit.pk, "code": "atec"}),
        {"language": "en", "valid_days": "3"},
    )
    assert response.status_code == 200
    day = timeline.today_at(NEW_YORK) + dt.timedelta(days=3)
    local = dt.datetime.combine(day, dt.time(23, 59), tzinfo=ZoneInfo(NEW_YORK))
    assert f"{day:%Y-%m-%d} 23:59 {local.tzname()}" in response.content.decode()
