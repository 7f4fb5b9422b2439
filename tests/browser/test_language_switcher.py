"""In a real browser: a coordinator switches the header to Ukrainian, and it stays on their
account — the next sign-in, in a browser that asks for English, opens in Ukrainian."""

from __future__ import annotations

import pytest

from tests.helpers import PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _sign_in(page, user):
    page.goto("/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")


def test_header_switch_is_kept_on_the_account(page, browser, live_server, coordinator_a):
    _sign_in(page, coordinator_a)
    page.goto("/participants/")
    page.get_by_test_id("language-switcher").locator("button[value=uk]").click()
    page.wait_for_url("**/participants/")  # back on the page it was on (the Referer)
    assert page.locator("html").get_attribute("lang") == "uk"
    coordinator_a.refresh_from_db()
    assert coordinator_a.preferred_language == "uk"

    elsewhere = browser.new_context(base_url=live_server.url, locale="en-GB").new_page()
    _sign_in(elsewhere, coordinator_a)
    elsewhere.goto("/participants/")
    assert elsewhere.locator("html").get_attribute("lang") == "uk"
    current = elsewhere.get_by_test_id("language-switcher").locator("[aria-current=true]")
    assert current.inner_text().strip() == "Українська"
    elsewhere.context.close()
