"""In a real browser: the family's progress counter follows each answer, the browser refuses a
submit with unanswered required questions, and the staff entry page counts the same way."""

from __future__ import annotations

import pytest
from django.test import Client

from neuroregen.instruments import services
from neuroregen.instruments.builtin_cshq import CSHQ_ITEMS, cshq_item_name
from neuroregen.instruments.models import Response
from tests.helpers import PASSWORD
from tests.instruments.builders import participant_with_visits

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _progress(page) -> tuple[str, str]:
    box = page.get_by_test_id("progress")
    return (
        box.locator("[data-progress-answered]").inner_text(),
        box.locator("[data-progress-total]").inner_text(),
    )


def test_counter_follows_answers_and_browser_checks_before_submit(
    browser, live_server, coordinator_a, site_a
):
    _participant, visits = participant_with_visits(coordinator_a, site_a)
    _link, token = services.link_create(user=coordinator_a, visit=visits["BL"], instrument="cshq")
    Client().get("/login/")  # load the URLconf once, outside the browser's timeouts

    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"/instruments/s/{token}/")
    assert _progress(page) == ("0", "33")
    for number in range(1, 31):
        page.locator(f"label[for={cshq_item_name(number)}-2]").click()
    assert _progress(page) == ("30", "33")
    page.locator(f"label[for={cshq_item_name(1)}-1]").click()  # a changed answer counts once
    assert _progress(page) == ("30", "33")

    # Three questions unanswered: the browser stops the submit, nothing reaches the server.
    page.get_by_test_id("submit").click()
    assert page.evaluate("document.querySelector('form').checkValidity()") is False
    assert Response.objects.get().status == "in_progress"
    assert page.url.endswith(f"/instruments/s/{token}/")

    # Saving part of the answers is always possible.
    page.get_by_test_id("save-partial").click()
    page.wait_for_url(f"**/instruments/s/{token}/")
    assert _progress(page) == ("30", "33")
    for number in range(31, len(CSHQ_ITEMS) + 1):
        page.locator(f"label[for={cshq_item_name(number)}-1]").click()
    assert _progress(page) == ("33", "33")
    page.get_by_test_id("submit").click()
    page.get_by_test_id("survey-done").wait_for()
    response = Response.objects.get()
    assert response.status == "complete"
    assert response.scores["cshq_total"]["value"] is not None

    # The coordinator's entry page counts answered questions the same way, live.
    page.goto("/login/")
    page.fill("#id_username", coordinator_a.username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/")
    page.goto(f"/instruments/visit/{visits['BL'].pk}/cgi_s/")
    assert _progress(page) == ("0", "1")
    # Saving an empty form as complete is refused with a summary that is read out first and
    # whose link takes the user to the question.
    page.locator("button[value=complete]").click()
    summary = page.get_by_test_id("error-summary")
    summary.wait_for()
    assert page.evaluate("document.activeElement.dataset.testid") == "error-summary"
    summary.locator("a[href='#q-cgi_s']").click()
    assert page.evaluate("document.activeElement.name") == "cgi_s"
    page.locator("label[for=cgi_s-3]").click()
    assert _progress(page) == ("1", "1")
    # The answer is saved on its own request: let it finish before the page goes away, or the
    # live server would still be writing after the test has ended.
    page.wait_for_selector("#nr-save-status[data-state=saved]")
    context.close()
