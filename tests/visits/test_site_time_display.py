"""Visit timeline and visit pages show times in the participant's site zone, readable.

The server runs in UTC; the site is at America/New_York.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from neuroregen.core.roles import Role
from neuroregen.core.services import site_create
from neuroregen.protocols import timeline
from neuroregen.visits import services
from neuroregen.visits.models import Visit
from tests.helpers import make_user
from tests.protocols.builders import active_protocol, confirmed, enrolled_participant
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
    investigator = make_user(Role.INVESTIGATOR, site, "inv-ny")
    child = enrolled_participant(coordinator, site)
    assignment = confirmed(investigator, child, active_protocol())
    services.day_zero_record(
        user=investigator,
        participant=child,
        day_zero=timeline.today_at(NEW_YORK) - dt.timedelta(days=10),
    )
    return {"site": site, "coordinator": coordinator, "child": child, "assignment": assignment}


def test_visit_history_is_in_site_time_with_its_zone(world):
    visit = Visit.objects.get(assignment=world["assignment"], code="D14")
    client = client_for(world["coordinator"])
    response = client.post(
        reverse("visit_reschedule", args=[visit.pk]),
        {"scheduled_for": visit.target_date.isoformat(), "reason": "family asked"},
    )
    assert response.status_code == 302
    page = client.get(reverse("visit_detail", args=[visit.pk])).content.decode()
    history = page.split('data-testid="history"')[1]
    latest = visit.history.first().history_date.astimezone(ZoneInfo(NEW_YORK))
    assert f"{latest:%Y-%m-%d %H:%M} {latest.tzname()}" in history
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", history)


def test_timeline_states_the_site_time_it_is_computed_in(world):
    page = client_for(world["coordinator"]).get(
        reverse("visit_timeline", args=[world["child"].study_code])
    )
    text = page.content.decode()
    now = timezone.now().astimezone(ZoneInfo(NEW_YORK))
    assert NEW_YORK in text
    assert f"{now:%Y-%m-%d}" in text.split('data-testid="site-now"')[1][:200]


@pytest.mark.parametrize(
    ("language", "phrase"), [("ru", "по календарю центра"), ("uk", "за календарем центру")]
)
def test_timeline_and_visit_pages_render_in_russian_and_ukrainian(world, language, phrase):
    client = client_for(world["coordinator"])
    client.cookies["django_language"] = language
    page = client.get(reverse("visit_timeline", args=[world["child"].study_code]))
    assert page.status_code == 200
    assert phrase in page.content.decode()
    visit = Visit.objects.get(assignment=world["assignment"], code="D14")
    assert client.get(reverse("visit_detail", args=[visit.pk])).status_code == 200


def test_participant_audit_trail_is_in_site_time(world):
    monitor = make_user(Role.MONITOR, None, "monitor-ny")
    page = client_for(monitor).get(reverse("participant_history", args=[world["child"].study_code]))
    history = page.content.decode().split('data-testid="history"')[1]
    latest = world["child"].history.first().history_date.astimezone(ZoneInfo(NEW_YORK))
    assert f"{latest:%Y-%m-%d %H:%M} {latest.tzname()}" in history
