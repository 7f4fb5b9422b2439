"""Reporting clocks and visit windows across time zones from UTC−12 to UTC+14.

An awareness typed as wall time T at a site becomes one moment; the 24-hour sponsor clock runs
out exactly 24 hours later in absolute time, the 7- and 15-day clocks at the end of the site's
calendar day 7 or 15, and everything reads back in the site's zone. Zones include daylight-
saving changes (New York, London, Lord Howe's half hour) and the extremes (Etc/GMT+12 is
UTC−12, Kiritimati UTC+14).
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from neuroregen.core.roles import Role
from neuroregen.core.services import site_create
from neuroregen.core.time import LocalTimeError, format_at, make_aware_at, to_site
from neuroregen.protocols import timeline
from neuroregen.safety.clocks import due_at
from neuroregen.safety.models import AdverseEvent
from tests.helpers import make_user, screen
from tests.security.battery import client_for

ZONES = [
    "Etc/GMT+12",
    "Pacific/Pago_Pago",
    "America/New_York",
    "America/St_Johns",
    "UTC",
    "Europe/London",
    "Europe/Kyiv",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Pacific/Kiritimati",
]

# Wall times as typed at a site: naive by design.
wall_times = st.datetimes(
    min_value=dt.datetime(2024, 1, 1, tzinfo=dt.UTC).replace(tzinfo=None),
    max_value=dt.datetime(2030, 12, 31, 23, 59, tzinfo=dt.UTC).replace(tzinfo=None),
).map(lambda d: d.replace(second=0, microsecond=0))


def _aware(wall: dt.datetime, tz_name: str, fold: int) -> dt.datetime | None:
    try:
        return make_aware_at(wall, tz_name, fold=fold)
    except LocalTimeError:
        return None  # a skipped wall time names no moment (its refusal is tested elsewhere)


@settings(max_examples=300, deadline=None)
@given(zone=st.sampled_from(ZONES), wall=wall_times, fold=st.integers(0, 1))
def test_clocks_run_from_the_moment_typed_at_the_site(zone, wall, fold):
    aware = _aware(wall, zone, fold)
    if aware is None:
        return
    local = to_site(aware, zone)
    assert local.replace(tzinfo=None) == wall  # reads back as what was typed
    sponsor = due_at("sponsor_24h", aware, zone)
    assert sponsor.astimezone(dt.UTC) - aware.astimezone(dt.UTC) == dt.timedelta(hours=24)
    shown = to_site(sponsor, zone)
    assert format_at(sponsor, zone) == f"{shown:%Y-%m-%d %H:%M} {shown.tzname()}"
    for kind, days in (("ind_7d", 7), ("ind_15d", 15)):
        due = to_site(due_at(kind, aware, zone), zone)
        assert due.date() == wall.date() + dt.timedelta(days=days)
        assert (due.hour, due.minute) == (23, 59)
        assert due.astimezone(dt.UTC) > aware.astimezone(dt.UTC) + dt.timedelta(days=days - 1)


@settings(max_examples=300, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    wall=wall_times,
    offset_hours=st.integers(-24 * 40, 24 * 400),
    target=st.integers(1, 365),
    before=st.integers(0, 30),
    after=st.integers(0, 30),
)
def test_visit_windows_follow_the_site_calendar(zone, wall, offset_hours, target, before, after):
    administered = _aware(wall, zone, 0)
    if administered is None:
        return
    moment = administered + dt.timedelta(hours=offset_hours)
    day_zero = timeline.local_date(administered, zone)
    assert day_zero == wall.date()
    day = timeline.study_day(administered, moment, zone)
    assert day == (to_site(moment, zone).date() - wall.date()).days
    window = timeline.Window(target, before, after)
    opens, _target, closes = window.dates(day_zero)
    assert window.contains(day) == (opens <= to_site(moment, zone).date() <= closes)


def _input_value(html: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert match
    value = re.search(r'value="([^"]*)"', match.group(0))
    return value.group(1) if value else ""


@pytest.mark.django_db
@pytest.mark.parametrize(
    "zone",
    [
        "Etc/GMT+12",
        "America/New_York",
        "Europe/London",
        "Australia/Lord_Howe",
        "Pacific/Kiritimati",
    ],
)
def test_default_awareness_is_accepted_in_every_zone(settings, zone):
    settings.TIME_ZONE = "UTC"
    site = site_create(code="Z-1", name=zone, country="US", time_zone=zone)
    user = make_user(Role.COORDINATOR, site, "coord-z")
    child = screen(user, site)
    client = client_for(user)
    url = reverse("safety_event_create", args=[child.study_code])
    default = _input_value(client.get(url).content.decode(), "aware_at")
    onset = timezone.now().astimezone(ZoneInfo(zone)).date() - dt.timedelta(days=1)
    response = client.post(
        url,
        {
            "term": "Seizure",
            "soc": "nervous",
            "onset_date": onset.isoformat(),
            "grade": "3",
            "serious": "yes",
            "serious_hospitalisation": "on",
            "relatedness_product": "possible",
            "relatedness_procedure": "unlikely",
            "expectedness": "unexpected",
            "action_taken": "none",
            "outcome": "recovering",
            "aware_at": default,
        },
    )
    assert response.status_code == 302, response.content.decode()
    event = AdverseEvent.objects.get()
    assert abs(event.aware_at - timezone.now()) < dt.timedelta(minutes=2)
    sponsor = event.clocks.get(kind="sponsor_24h")
    assert sponsor.due_at - event.aware_at == dt.timedelta(hours=24)
    page = client.get(reverse("safety_event_detail", args=[event.code])).content.decode()
    assert format_at(sponsor.due_at, zone) in page
