"""Adverse-event times are site times: entry defaults, reporting clocks, submissions, display.

The server runs in UTC; the sites are at America/New_York (UTC−5/−4) and Asia/Tokyo (UTC+9).
Before the one time model, the form showed UTC wall time as "site local time", so the
awareness moment landed hours away from the truth and the 24-hour clock showed 29 h.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from neuroregen.core.errors import ValidationFailed
from neuroregen.core.roles import Role
from neuroregen.core.services import site_create
from neuroregen.safety.models import AdverseEvent
from tests.helpers import make_user, screen
from tests.safety.builders import ae_data, record
from tests.security.battery import client_for

pytestmark = pytest.mark.django_db

NEW_YORK = "America/New_York"


@pytest.fixture(autouse=True)
def _server_in_utc(settings):
    settings.TIME_ZONE = "UTC"


def _site(tz_name: str, code: str = "NYC-01"):
    return site_create(code=code, name=f"Site {tz_name}", country="US", time_zone=tz_name)


@pytest.fixture(params=[NEW_YORK, "Asia/Tokyo"])
def site(request):
    return _site(request.param)


@pytest.fixture
def reporter(site):
    return make_user(Role.COORDINATOR, site, f"coord-{site.code}")


@pytest.fixture
def child(site, reporter):
    return screen(reporter, site)


def _input_value(html: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert match, f"no input {name}"
    value = re.search(r'value="([^"]*)"', match.group(0))
    return value.group(1) if value else ""


def _local_minute(tz_name: str, moment: dt.datetime | None = None) -> str:
    moment = moment or timezone.now()
    return moment.astimezone(ZoneInfo(tz_name)).strftime("%Y-%m-%dT%H:%M")


def _form(onset: dt.date, **overrides):
    values = {
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
    }
    values.update(overrides)
    return values


def _site_yesterday(tz_name: str) -> dt.date:
    return timezone.now().astimezone(ZoneInfo(tz_name)).date() - dt.timedelta(days=1)


def test_awareness_default_is_now_at_the_site_not_server_wall_time(site, reporter, child):
    url = reverse("safety_event_create", args=[child.study_code])
    before = _local_minute(site.time_zone)
    shown = _input_value(client_for(reporter).get(url).content.decode(), "aware_at")
    after = _local_minute(site.time_zone)
    assert shown in (before, after)


def test_default_awareness_is_accepted_and_the_24h_clock_shows_24h(site, reporter, child):
    client = client_for(reporter)
    url = reverse("safety_event_create", args=[child.study_code])
    default = _input_value(client.get(url).content.decode(), "aware_at")
    response = client.post(url, _form(_site_yesterday(site.time_zone), aware_at=default))
    assert response.status_code == 302, response.content.decode()
    event = AdverseEvent.objects.get()
    assert abs(event.aware_at - timezone.now()) < dt.timedelta(minutes=2)
    sponsor = event.clocks.get(kind="sponsor_24h")
    assert sponsor.due_at - sponsor.started_at == dt.timedelta(hours=24)
    left = sponsor.due_at - timezone.now()
    assert dt.timedelta(hours=23, minutes=57) < left <= dt.timedelta(hours=24)


def test_submission_at_true_local_time_and_default_are_both_recorded(site, reporter, child):
    client = client_for(reporter)
    create = reverse("safety_event_create", args=[child.study_code])
    default = _input_value(client.get(create).content.decode(), "aware_at")
    client.post(create, _form(_site_yesterday(site.time_zone), aware_at=default))
    event = AdverseEvent.objects.get()
    detail = client.get(reverse("safety_event_detail", args=[event.code])).content.decode()
    submit_default = _input_value(detail, "submitted_at")
    assert submit_default in (_local_minute(site.time_zone), default)
    sponsor, ind = event.clocks.order_by("kind")
    response = client.post(
        reverse("safety_clock_submit", args=[sponsor.pk]),
        {"submitted_at": _local_minute(site.time_zone), "reference": "SP-1"},
        follow=True,
    )
    assert "Submission recorded." in response.content.decode()
    response = client.post(
        reverse("safety_clock_submit", args=[ind.pk]),
        {"submitted_at": submit_default, "reference": "IND-1"},
        follow=True,
    )
    assert "Submission recorded." in response.content.decode()
    sponsor.refresh_from_db()
    assert sponsor.state() == "submitted"


def test_awareness_in_the_future_is_refused_even_on_the_same_site_day():
    # Pick a zone where it is morning now, so 11 hours later is still today at the site:
    # a check by site date alone would accept it.
    now = timezone.now()
    hours = next(h for h in range(-12, 15) if 0 <= (now + dt.timedelta(hours=h)).hour <= 12)
    tz_name = "UTC" if hours == 0 else f"Etc/GMT{-hours:+d}"
    site = _site(tz_name, code="MORNING")
    user = make_user(Role.COORDINATOR, site, "coord-morning")
    participant = screen(user, site)
    later = now + dt.timedelta(hours=11)
    assert later.astimezone(ZoneInfo(tz_name)).date() == now.astimezone(ZoneInfo(tz_name)).date()
    with pytest.raises(ValidationFailed) as caught:
        record(user, participant, aware_at=later)
    assert "aware_at" in caught.value.errors
    assert "future" in caught.value.errors["aware_at"]
    assert not AdverseEvent.objects.exists()


def test_awareness_in_the_future_is_refused_on_the_form(site, reporter, child):
    client = client_for(reporter)
    url = reverse("safety_event_create", args=[child.study_code])
    ahead = _local_minute(site.time_zone, timezone.now() + dt.timedelta(hours=11))
    response = client.post(url, _form(_site_yesterday(site.time_zone), aware_at=ahead))
    assert response.status_code == 200
    assert "in the future" in response.content.decode()
    assert not AdverseEvent.objects.exists()


def test_detail_shows_awareness_and_deadlines_in_site_time_with_zone(site, reporter, child):
    aware = timezone.now() - dt.timedelta(hours=3)
    event = record(
        reporter,
        child,
        serious=True,
        aware_at=aware,
        **{
            "serious_hospitalisation": True,
            "grade": 3,
            "onset_date": aware.astimezone(ZoneInfo(site.time_zone)).date(),
        },
    )
    page = client_for(reporter).get(reverse("safety_event_detail", args=[event.code]))
    text = page.content.decode()
    local = aware.astimezone(ZoneInfo(site.time_zone))
    assert f"{local:%Y-%m-%d %H:%M} {local.tzname()}" in text
    due = (aware + dt.timedelta(hours=24)).astimezone(ZoneInfo(site.time_zone))
    assert f"{due:%Y-%m-%d %H:%M} {due.tzname()}" in text
    # The timeline of the event is human-readable site time, not raw ISO stamps.
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", text)
    clocks = client_for(reporter).get(reverse("safety_clocks")).content.decode()
    assert f"{due:%Y-%m-%d %H:%M} {due.tzname()}" in clocks


@pytest.mark.parametrize(
    ("typed", "message"),
    [("2026-03-08T02:30", "does not exist"), ("2026-11-01T01:30", "happened twice")],
)
def test_daylight_saving_gap_and_fold_get_specific_messages(typed, message):
    site = _site(NEW_YORK, code="NYC-DST")
    user = make_user(Role.COORDINATOR, site, "coord-dst")
    participant = screen(user, site)
    client = client_for(user)
    url = reverse("safety_event_create", args=[participant.study_code])
    response = client.post(url, _form(dt.date(2026, 2, 1), aware_at=typed))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not AdverseEvent.objects.exists()


def test_ambiguous_time_is_recorded_once_the_occurrence_is_chosen():
    site = _site(NEW_YORK, code="NYC-FOLD")
    user = make_user(Role.COORDINATOR, site, "coord-fold")
    participant = screen(user, site)
    client = client_for(user)
    url = reverse("safety_event_create", args=[participant.study_code])
    first = client.post(url, _form(dt.date(2026, 10, 30), aware_at="2026-11-01T01:30"))
    assert 'name="aware_at_fold"' in first.content.decode()
    response = client.post(
        url, _form(dt.date(2026, 10, 30), aware_at="2026-11-01T01:30", aware_at_fold="1")
    )
    assert response.status_code == 302
    event = AdverseEvent.objects.get()
    assert event.aware_at == dt.datetime(2026, 11, 1, 6, 30, tzinfo=dt.UTC)


def test_edit_form_shows_stored_awareness_in_site_time(site, reporter, child):
    aware = timezone.now() - dt.timedelta(days=1)
    event = record(reporter, child, aware_at=aware)
    page = client_for(reporter).get(reverse("safety_event_edit", args=[event.code]))
    assert _input_value(page.content.decode(), "aware_at") == _local_minute(site.time_zone, aware)


def test_service_data_defaults_still_work(reporter, child):
    event = record(reporter, child, **{k: v for k, v in ae_data().items() if k != "term"})
    assert abs(event.aware_at - timezone.now()) < dt.timedelta(minutes=1)


@pytest.mark.parametrize(
    ("language", "future", "gap", "site_time"),
    [
        ("ru", "находится в будущем", "не существует", "Время центра: America/New_York"),
        ("uk", "у майбутньому", "не існує", "Час центру: America/New_York"),
    ],
)
def test_time_messages_render_in_russian_and_ukrainian(language, future, gap, site_time):
    site = _site(NEW_YORK, code=f"NYC-{language}")
    user = make_user(Role.COORDINATOR, site, f"coord-{language}")
    participant = screen(user, site)
    client = client_for(user)
    client.cookies["django_language"] = language
    url = reverse("safety_event_create", args=[participant.study_code])
    page = client.get(url).content.decode()
    assert site_time in page
    ahead = _local_minute(NEW_YORK, timezone.now() + dt.timedelta(hours=11))
    response = client.post(url, _form(_site_yesterday(NEW_YORK), aware_at=ahead))
    assert response.status_code == 200
    assert future in response.content.decode()
    response = client.post(url, _form(dt.date(2026, 2, 1), aware_at="2026-03-08T02:30"))
    assert gap in response.content.decode()
    event = record(user, participant, aware_at=timezone.now() - dt.timedelta(hours=1))
    detail = client.get(reverse("safety_event_detail", args=[event.code]))
    assert detail.status_code == 200
    local = event.aware_at.astimezone(ZoneInfo(NEW_YORK))
    assert f"{local:%Y-%m-%d %H:%M} {local.tzname()}" in detail.content.decode()


def test_submission_typed_in_the_minute_of_awareness_is_accepted(site, reporter, child):
    from neuroregen.safety import services as s

    aware = (timezone.now() - dt.timedelta(minutes=10)).replace(second=42)
    event = record(
        reporter,
        child,
        serious=True,
        aware_at=aware,
        serious_hospitalisation=True,
        grade=3,
        onset_date=aware.astimezone(ZoneInfo(site.time_zone)).date(),
    )
    clock = event.clocks.get(kind="sponsor_24h")
    same_minute = aware.replace(second=0, microsecond=0)
    clock = s.clock_submit(user=reporter, clock=clock, submitted_at=same_minute)
    assert clock.submitted_at == same_minute
