"""In a real browser whose own zone is Tokyo, a coordinator at a New York site reports a serious
adverse event: the awareness time offered is New York's now, saving it starts a 24-hour clock
(not 29 h), the sponsor submission is recorded at New York's now, and every time on the page
reads in New York time with its zone."""

from __future__ import annotations

import datetime as dt
import urllib.request
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from neuroregen.core.roles import Role
from neuroregen.core.services import site_create
from neuroregen.safety.models import AdverseEvent
from tests.browser.test_product_flow import sign_in
from tests.helpers import make_user, screen

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.TIME_ZONE = "UTC"
    settings.NEUROREGEN_REQUIRE_2FA = True


@pytest.fixture
def tokyo_page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, locale="en-GB", timezone_id="Asia/Tokyo"
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


def _minutes(moment: dt.datetime) -> set[str]:
    local = moment.astimezone(NEW_YORK)
    return {f"{local - dt.timedelta(minutes=m):%Y-%m-%dT%H:%M}" for m in (0, 1)}


def test_sae_reported_in_site_time_from_a_browser_elsewhere(tokyo_page, live_server):
    urllib.request.urlopen(live_server.url + "/login/", timeout=120).close()  # noqa: S310
    page = tokyo_page
    site = site_create(code="NYC-01", name="New York", country="US", time_zone="America/New_York")
    coordinator = make_user(Role.COORDINATOR, site, "coord-ny")
    child = screen(coordinator, site)
    sign_in(page, coordinator.username)

    page.goto(f"/safety/report/{child.study_code}/")
    assert page.input_value("#id_aware_at") in _minutes(timezone.now())
    assert "America/New_York" in page.locator("main").inner_text()
    onset = timezone.now().astimezone(NEW_YORK).date() - dt.timedelta(days=1)
    page.fill("#id_term", "Seizure")
    page.fill("#id_onset_date", onset.isoformat())
    page.select_option("#id_grade", "3")
    page.select_option("#id_serious", "yes")
    page.check("#id_serious_hospitalisation")
    page.select_option("#id_relatedness_product", "possible")
    page.select_option("#id_relatedness_procedure", "unlikely")
    page.select_option("#id_expectedness", "unexpected")
    page.select_option("#id_outcome", "recovering")
    page.click("main button[type=submit]")
    page.wait_for_url("**/safety/ae/**")

    event = AdverseEvent.objects.get()
    assert abs(event.aware_at - timezone.now()) < dt.timedelta(minutes=3)
    sponsor = event.clocks.get(kind="sponsor_24h")
    assert sponsor.due_at - event.aware_at == dt.timedelta(hours=24)
    due = sponsor.due_at.astimezone(NEW_YORK)
    clocks = page.locator("[data-testid=clocks]").inner_text()
    assert f"{due:%Y-%m-%d %H:%M} {due.tzname()}" in clocks

    row = page.locator("[data-testid=clocks] tr", has_text="24")
    assert row.locator("input[name=submitted_at]").input_value() in _minutes(timezone.now())
    row.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert "Submission recorded." in page.locator("main").inner_text()
    sponsor.refresh_from_db()
    assert sponsor.submitted_at is not None
    aware = event.aware_at.astimezone(NEW_YORK)
    assert (
        f"{aware:%Y-%m-%d %H:%M} {aware.tzname()}"
        in page.locator("[data-testid=aware-at]").inner_text()
    )
