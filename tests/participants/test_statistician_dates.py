"""Statisticians see study days and age in months, never calendar dates of screening beside
the exact age, from which a birth month could be derived (issue 16, obs. 11)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import formats

from neuroregen.core.roles import Role
from neuroregen.protocols.timeline import today_at
from neuroregen.visits import services as visit_services
from tests.security.api_battery import ApiClient
from tests.security.battery import client_for
from tests.security.world import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(site_a, site_b):
    world = build_world(site_a, site_b)
    child = world["own_child"]
    day_zero = today_at(site_a.time_zone) - dt.timedelta(days=100)
    visit_services.day_zero_record(
        user=world["users"][Role.INVESTIGATOR], participant=child, day_zero=day_zero
    )
    child.refresh_from_db()
    world["study_day_screened"] = (child.screened_on - day_zero).days
    return world


def _calendar_forms(day: dt.date) -> list[str]:
    return [
        day.isoformat(),
        formats.date_format(day),
        formats.date_format(day, "SHORT_DATE_FORMAT"),
    ]


def test_statistician_page_shows_study_days_not_screening_dates(world):
    child = world["own_child"]
    page = client_for(world["users"][Role.STATISTICIAN]).get(f"/participants/{child.study_code}/")
    text = page.content.decode()
    assert page.status_code == 200
    for shown in _calendar_forms(child.screened_on):
        assert shown not in text, shown
    assert f"{child.age_months_at_screening}" in text
    assert f"{world['study_day_screened']}" in text


def test_coordinator_still_sees_the_screening_date(world):
    child = world["own_child"]
    text = client_for(world["users"][Role.COORDINATOR]).get(f"/participants/{child.study_code}/")
    assert formats.date_format(child.screened_on) in text.content.decode()


def test_statistician_api_gives_study_days_not_dates(world):
    child = world["own_child"]
    body = (
        ApiClient(world["users"][Role.STATISTICIAN])
        .get(f"/api/participants/{child.study_code}")
        .json()
    )
    assert body.get("screened_on") is None
    assert body.get("enrolled_on") is None
    assert body["screened_study_day"] == world["study_day_screened"]
    assert body["age_months_at_screening"] == child.age_months_at_screening


def test_statistician_exports_always_have_shifted_dates(world, tmp_path):
    from neuroregen.interop.dataset import ExportOptions
    from neuroregen.interop.export_services import export_run
    from neuroregen.interop.models import ExportRecord

    export_run(
        user=world["users"][Role.STATISTICIAN],
        protocol=world["protocol"].code,
        fmt="tidy",
        out=tmp_path,
        options=ExportOptions(shift_dates=False),
    )
    assert ExportRecord.objects.get().shift_dates is True


def test_administrator_may_still_export_true_dates(world, tmp_path):
    from neuroregen.interop.dataset import ExportOptions
    from neuroregen.interop.export_services import export_run
    from neuroregen.interop.models import ExportRecord

    export_run(
        user=world["users"][Role.ADMINISTRATOR],
        protocol=world["protocol"].code,
        fmt="tidy",
        out=tmp_path,
        options=ExportOptions(shift_dates=False),
    )
    assert ExportRecord.objects.get().shift_dates is False


@pytest.mark.parametrize(
    ("language", "words"), [("ru", "день исследования"), ("uk", "день дослідження")]
)
def test_study_days_are_translated(world, language, words):
    child = world["own_child"]
    client = client_for(world["users"][Role.STATISTICIAN])
    page = client.get(f"/participants/{child.study_code}/", HTTP_ACCEPT_LANGUAGE=language)
    assert page.status_code == 200
    assert f"{words} {world['study_day_screened']}" in page.content.decode()


def test_statistician_timeline_shows_study_days_not_visit_dates(world):
    from neuroregen.visits.models import Visit

    child = world["own_child"]
    dates = {v.target_date.isoformat() for v in Visit.objects.filter(participant=child)}
    url = f"/visits/participant/{child.study_code}/"
    text = client_for(world["users"][Role.STATISTICIAN]).get(url).content.decode()
    assert "study day 0" in text
    assert not [d for d in dates if d in text]
    coordinator_text = client_for(world["users"][Role.COORDINATOR]).get(url).content.decode()
    assert all(d in coordinator_text for d in dates)
