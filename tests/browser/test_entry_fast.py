"""Fast data entry in a real browser: 77 ATEC answers clicked 50 ms apart are all stored and
audited, the page stays where the user is, and a refused save shows its problems at the top."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from neuroregen.instruments.builtin import ATEC_ITEMS, atec_item_name
from neuroregen.instruments.models import Response
from tests.helpers import PASSWORD
from tests.instruments.builders import participant_with_visits

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SAVED = "#nr-save-status[data-state=saved]"  # every queued answer has been saved


def _sign_in(page, user) -> None:
    page.goto("/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/")


def test_77_atec_answers_clicked_fast_are_all_kept(page, coordinator_a, site_a):
    _participant, visits = participant_with_visits(coordinator_a, site_a)
    visit = visits["BL"]
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.set_viewport_size({"width": 1280, "height": 800})
    _sign_in(page, coordinator_a)
    page.goto(f"/instruments/visit/{visit.pk}/atec/")

    expected: dict[str, str] = {}
    clicked = []
    for key, (_title, items) in ATEC_ITEMS.items():
        for number in range(1, len(items) + 1):
            name = atec_item_name(key, number)
            option = 1 + number % 2  # the first or second choice, alternately
            page.click(f"label[for={name}-{option}]")
            expected[name] = page.locator(f"#{name}-{option}").get_attribute("value")
            after_click = page.evaluate("[window.scrollY, document.activeElement.id]")
            page.wait_for_timeout(50)
            # Saves of earlier answers came back meanwhile: nothing moved, focus stayed put.
            clicked.append(
                (name, after_click, page.evaluate("[window.scrollY, document.activeElement.id]"))
            )
    assert len(expected) == 77
    for name, after_click, before_next in clicked:
        assert after_click == before_next, name
        assert after_click[1] == f"{name}-{1 + int(name[-2:]) % 2}"
    last = clicked[-1][1]

    page.wait_for_selector(SAVED, timeout=60_000)
    assert page.evaluate("[window.scrollY, document.activeElement.id]") == last
    for name, value in expected.items():  # the screen still shows every answer
        assert page.locator(f"input[name={name}][value='{value}']").is_checked(), name

    response = Response.objects.get(visit=visit, instrument__code="atec")
    assert {n: response.answers.get(n) for n in expected} == expected
    latest = response.history.order_by("-history_date", "-history_id").first()
    assert {n: latest.answers.get(n) for n in expected} == expected
    assert latest.history_user_id == coordinator_a.pk
    assert latest.row_version == response.row_version
    # The calculated total on screen is the stored one, updated in place.
    total = page.get_by_test_id("calc-atec_total_raw").inner_text()
    assert total.endswith(str(response.answers["atec_total_raw"]))

    # The whole-form save carries the page's own version: no false conflict.
    page.click("button[value=save]")
    page.wait_for_url(f"**/instruments/visit/{visit.pk}/")
    assert errors == []


def test_a_refused_save_shows_every_problem_at_the_top(page, coordinator_a, site_a):
    _participant, visits = participant_with_visits(coordinator_a, site_a)
    visit = visits["BL"]
    _sign_in(page, coordinator_a)
    page.goto(f"/instruments/visit/{visit.pk}/atec/")
    page.click("label[for=atec_i_01-2]")
    page.wait_for_selector(SAVED)
    future = timezone.localdate() + dt.timedelta(days=30)
    page.fill("#id_answered_on", future.isoformat())
    page.locator("button[value=complete]").scroll_into_view_if_needed()
    page.click("button[value=complete]")
    summary = page.get_by_test_id("error-summary")
    summary.wait_for()
    assert "future" in summary.inner_text()
    assert page.evaluate("window.scrollY") == 0
    assert page.evaluate("document.activeElement.id") == "nr-error-summary"
    assert page.locator("#atec_i_01-2").is_checked()  # nothing typed is lost


def _choose(page, name: str, value: str) -> None:
    choice = page.locator(f"input[name={name}][value='{value}']")
    page.click(f"label[for={choice.get_attribute('id')}]")


def test_branching_shows_and_hides_a_question_in_place(page, coordinator_a, site_a):
    _participant, visits = participant_with_visits(coordinator_a, site_a)
    visit = visits["BL"]
    _sign_in(page, coordinator_a)
    page.goto(f"/instruments/visit/{visit.pk}/vineland3/")
    motor = page.locator("#q-vineland3_motor")
    assert motor.is_hidden()
    _choose(page, "vineland3_motor_assessed", "1")
    motor.wait_for(state="visible")
    motor.locator("input[name=vineland3_motor]").fill("85")
    motor.locator("input[name=vineland3_motor]").press("Tab")  # a text answer is saved on leaving
    page.wait_for_selector(SAVED)
    response = Response.objects.get(visit=visit, instrument__code="vineland3")
    assert response.answers["vineland3_motor"] == "85"
    _choose(page, "vineland3_motor_assessed", "0")
    motor.wait_for(state="hidden")
    page.wait_for_selector(SAVED)
    response.refresh_from_db()
    assert "vineland3_motor" not in response.answers
    assert motor.locator("input[name=vineland3_motor]").input_value() == ""
