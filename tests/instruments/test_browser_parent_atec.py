"""A parent completes ATEC on a phone through the link; the coordinator sees it at the visit."""

from __future__ import annotations

import pytest
from django.test import Client

from neuroregen.instruments import services
from neuroregen.instruments.builtin import ATEC_ITEMS, atec_item_name
from tests.helpers import PASSWORD
from tests.instruments.builders import participant_with_visits

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}


def _answer_first_option(page, key: str, count: int) -> None:
    for number in range(1, count + 1):
        page.locator(f"label[for={atec_item_name(key, number)}-1]").tap()


def test_parent_completes_atec_on_a_phone_and_coordinator_sees_it(
    browser, live_server, coordinator_a, site_a
):
    participant, visits = participant_with_visits(coordinator_a, site_a)
    baseline = visits["BL"]
    _link, token = services.link_create(user=coordinator_a, visit=baseline, instrument="atec")
    Client().get("/login/")  # load the URLconf once, outside the browser's timeouts

    phone = browser.new_context(base_url=live_server.url, locale="uk-UA", **PHONE)
    page = phone.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"/instruments/s/{token}/")
    assert page.get_by_test_id("language-fallback").is_visible()  # uk wording not shipped yet
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    _answer_first_option(page, "i", len(ATEC_ITEMS["i"][1]))
    page.get_by_test_id("save-partial").tap()
    page.wait_for_url(f"**/instruments/s/{token}/")
    assert page.locator(f"#{atec_item_name('i', 14)}-1").is_checked()  # partial answers kept

    for key in ("ii", "iii", "iv"):
        _answer_first_option(page, key, len(ATEC_ITEMS[key][1]))
    page.get_by_test_id("submit").tap()
    page.get_by_test_id("survey-done").wait_for()
    page.goto(f"/instruments/s/{token}/")
    page.get_by_test_id("link-closed").wait_for()  # cannot be reused
    phone.close()

    desk = browser.new_context(base_url=live_server.url, locale="en-GB")
    page = desk.new_page()
    page.set_default_timeout(15_000)
    page.goto("/login/")
    page.fill("#id_username", coordinator_a.username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/")
    page.goto(f"/instruments/visit/{baseline.pk}/")
    assert page.get_by_test_id("state-atec").inner_text() == "Entered"
    # First options: I "Not true" 2 × 14, II 0, III "Not descriptive" 2 × 18, IV 0 → 64.
    assert page.get_by_test_id("score-atec_total").inner_text() == "64"
    row = page.locator("tr[data-form=atec]").inner_text()
    assert "Parent / caregiver" in row
    assert "Completed by the family through a link" in row
    assert participant.study_code in page.content()
    desk.close()
