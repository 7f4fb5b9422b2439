"""A statistician opens every page and API read of a cohort and meets no calendar date of a
child's research events: study days only (issue 16, observation 11)."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Q
from django.urls import reverse
from django.utils import dateformat, timezone

from neuroregen.biomarkers.models import Measurement
from neuroregen.core.models import User
from neuroregen.core.pages import build, candidates, pages
from neuroregen.core.research_dates import study_day_of
from neuroregen.core.time import to_site
from neuroregen.instruments.models import Response
from neuroregen.participants.models import Participant
from neuroregen.products.models import Administration, CustodyEvent, Lot
from neuroregen.protocols.models import Assignment, Protocol
from neuroregen.safety.models import AdverseEvent
from neuroregen.visits.models import Visit
from tests.helpers import PASSWORD
from tests.security.api_battery import ApiClient
from tests.security.battery import client_for


@pytest.fixture
def cohort(db, settings):
    settings.TIME_ZONE = "America/New_York"
    call_command("demo_setup", participants=8, sites=2, seed=11, stdout=io.StringIO())
    statistician = User.objects.get(username="demo-statistician")
    statistician.set_password(PASSWORD)
    statistician.save()
    return statistician


def _day(value: dt.date | dt.datetime | None, site: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return to_site(value, site).date()
    return value


def event_dates() -> set[dt.date]:
    """Calendar dates of the children's research events (each on the child's site calendar)."""
    found: set[dt.date] = set()

    def add(rows: Any, site_of: Any, *names: str) -> None:
        for row in rows:
            for name in names:
                day = _day(getattr(row, name), site_of(row))
                if day is not None:
                    found.add(day)

    add(Participant.objects.all(), lambda p: p.site, "screened_on", "enrolled_on")
    add(Assignment.objects.all(), lambda a: a.participant.site, "day_zero", "planned_day_zero")
    add(
        Visit.objects.all(),
        lambda v: v.participant.site,
        "target_date",
        "scheduled_for",
        "done_on",
    )
    add(AdverseEvent.objects.all(), lambda e: e.participant.site, "onset_date", "aware_at")
    add(Administration.objects.all(), lambda a: a.participant.site, "started_at")
    add(Measurement.objects.all(), lambda m: m.participant.site, "collected_at")
    add(Response.objects.all(), lambda r: r.participant.site, "answered_on", "completed_at")
    return found


def innocent_dates() -> set[dt.date]:
    """Dates a page may show that are not a child's (today, the lots' manufacture and
    custody, the protocol)."""
    today = timezone.localdate()
    found = {today - dt.timedelta(days=1), today, today + dt.timedelta(days=1)}
    for lot in Lot.objects.all():
        found |= {lot.manufacture_started_on, lot.manufactured_on, _day(lot.expires_at, lot.site)}
    # Temperature readings in storage are the product's, not a child's.
    readings = CustodyEvent.objects.filter(
        Q(kind__in=("temperature", "assessment")) | Q(is_excursion=True)
    )
    for event in readings.select_related("site"):
        found.add(_day(event.occurred_at, event.site))
    found |= set(Protocol.objects.values_list("activated_on", flat=True))
    return {d for d in found if d is not None}


def spellings(day: dt.date) -> list[str]:
    return [day.isoformat(), dateformat.format(day, "N j, Y"), dateformat.format(day, "d.m.Y")]


def leaked(body: str, forbidden: set[dt.date]) -> list[str]:
    return [text for day in forbidden for text in spellings(day) if text in body]


@pytest.mark.django_db
def test_statistician_pages_show_no_calendar_dates_of_events(cohort):
    forbidden = event_dates() - innocent_dates()
    assert forbidden, "the cohort has dated events to look for"
    client = client_for(cohort)
    opened, leaks = 0, {}
    for page in pages():
        for values in candidates(page, limit=3):
            url = build(page.route, values)
            response = client.get(url)
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            opened += 1
            found = leaked(response.content.decode(), forbidden)
            if found:
                leaks[url] = found[:3]
    assert opened > 20
    assert not leaks, sorted(leaks.items())


API_LISTS = (
    "/api/participants/",
    "/api/visits/",
    "/api/responses",
    "/api/measurements/",
    "/api/safety/events",
    "/api/safety/clocks",
    "/api/products/lots",
    "/api/products/administrations",
)


def _detail_urls(list_url: str, body: Any) -> list[str]:
    items = body.get("items", body) if isinstance(body, dict) else body
    urls = []
    for item in items[:3] if isinstance(items, list) else []:
        key = item.get("code") or item.get("study_code") or item.get("id")
        if key is not None and not list_url.endswith("clocks"):
            urls.append(f"{list_url.rstrip('/')}/{key}")
    return urls


@pytest.mark.django_db
def test_statistician_api_shows_no_calendar_dates_of_events(cohort):
    forbidden = event_dates() - innocent_dates()
    api = ApiClient(cohort)
    leaks, opened = {}, 0
    for list_url in API_LISTS:
        response = api.get(list_url)
        assert response.status_code == 200, (list_url, response.status_code)
        urls = [list_url, *_detail_urls(list_url, response.json())]
        for url in urls:
            response = api.get(url)
            if response.status_code != 200:
                continue
            opened += 1
            body = response.content.decode()
            found = [d.isoformat() for d in forbidden if re.search(d.isoformat(), body)]
            if found:
                leaks[url] = found[:3]
    assert opened >= len(API_LISTS)
    assert not leaks, sorted(leaks.items())


@pytest.mark.django_db
def test_statistician_api_gives_study_days_in_place_of_dates(cohort):
    api = ApiClient(cohort)
    measurements = api.get("/api/measurements/").json()["items"]
    visits = api.get("/api/visits/").json()["items"]
    done = [v for v in visits if v["done_study_day"] is not None]
    assert measurements
    assert done
    assert all(m["collected_at"] is None for m in measurements)
    assert any(isinstance(m["collected_study_day"], int) for m in measurements)
    assert all(v["done_on"] is None and v["target_date"] is None for v in visits)
    baseline = [v for v in done if v["phase"] == "baseline"]
    assert all(v["done_study_day"] <= 0 for v in baseline)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "study day"), ("ru", "день исследования"), ("uk", "день дослідження")],
)
def test_adverse_event_page_gives_study_days_in_each_language(cohort, language, words):
    event = AdverseEvent.objects.select_related("participant__site").first()
    onset_day = study_day_of(event.participant, event.onset_date)
    client = client_for(cohort)
    page = client.get(
        reverse("safety_event_detail", args=[event.code]), HTTP_ACCEPT_LANGUAGE=language
    )
    assert page.status_code == 200
    body = page.content.decode()
    assert f"{words} {onset_day}" in body
    assert event.onset_date.isoformat() not in body
