"""The evidence pages in a real browser: charts drawn, no console errors, every effect with
its interval, on a small cohort entered through the services."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from neuroregen.core.models import User
from tests.evidence.builders import adverse_event, child
from tests.helpers import PASSWORD
from tests.instruments.builders import active_protocol
from tests.security.twofactor import confirmed_totp_device, current_code

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

INTERVAL = re.compile(r"\(95% CI (n/a|[−\-]?[\d.]+%?|[−\-]?∞) to (n/a|[−\-]?[\d.]+%?|∞)\)")


@pytest.fixture(autouse=True)
def _two_factor_enforced(settings):
    settings.NEUROREGEN_REQUIRE_2FA = True


def sign_in(page, username):
    device = confirmed_totp_device(User.objects.get(username=username))
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/account/two-factor/verify/**")
    page.fill("#id_token", current_code(device))
    page.click("main button[type=submit]")
    page.wait_for_url("**/")


def watch_errors(page) -> list[str]:
    """Console errors (CSP violations included) and uncaught exceptions of the page."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def charts_drawn(page) -> list[str]:
    """Wait until every chart container has been handled; return their states."""
    page.wait_for_function(
        "() => [...document.querySelectorAll('.nr-chart[data-spec]')]"
        ".every(el => el.hasAttribute('data-rendered'))"
    )
    return page.eval_on_selector_all(
        ".nr-chart[data-spec]", "els => els.map(el => el.getAttribute('data-rendered'))"
    )


@pytest.fixture
def cohort(site_a, coordinator_a):
    children = [child(coordinator_a, site_a, shift=k) for k in range(4)]
    adverse_event(coordinator_a, children[0])
    return {"children": children, "protocol": active_protocol()}


def test_program_evidence_page_draws_its_charts_and_intervals(page, cohort, monitor):
    errors = watch_errors(page)
    sign_in(page, monitor.username)
    page.goto(reverse("evidence_program", args=[cohort["protocol"].pk]) + "?definition=cgi_i_3")
    assert page.get_by_test_id("phase-table").first.is_visible()  # one table per measure

    states = charts_drawn(page)
    assert len(states) >= 2
    assert set(states) == {"true"}
    # vega-embed drew each chart as SVG with marks in it
    assert page.locator(".nr-chart[data-spec] svg").count() == len(states)
    assert (
        page.locator(
            ".nr-chart[data-spec] svg .mark-symbol, "
            ".nr-chart[data-spec] svg .mark-rule, "
            ".nr-chart[data-spec] svg .mark-line"
        ).count()
        > 0
    )

    effects = page.get_by_test_id("effect").all_inner_texts()
    assert len(effects) > 10
    for text in effects:
        assert INTERVAL.search(text), text
    # nothing carries an estimate outside an effect, so nothing is shown without its interval
    assert page.locator("[data-estimate]").count() == len(effects)
    assert page.locator("[data-testid=effect] [data-interval]").count() == len(effects)
    assert errors == []


def test_child_progress_page_draws_its_timeline(page, cohort, monitor):
    errors = watch_errors(page)
    sign_in(page, monitor.username)
    code = cohort["children"][0].study_code
    page.goto(reverse("evidence_child", args=[code]))
    assert page.get_by_role("heading", name=f"Progress — {code}").is_visible()
    assert charts_drawn(page) == ["true"]
    timeline = page.locator("[data-spec=chart-timeline] svg")
    assert timeline.count() == 1
    assert timeline.locator(".mark-symbol, .mark-line").count() > 0
    assert len(page.get_by_test_id("child-measure").all()) >= 2
    assert errors == []
