"""The "check a publication" page in a real browser: a statistician enters a paper's figures,
corrects a typo flagged inline, and reads the results; no console or CSP errors."""

from __future__ import annotations

import pytest

from neuroregen.core.roles import Role
from tests.browser.test_evidence_pages import sign_in, watch_errors
from tests.helpers import make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(autouse=True)
def _two_factor_enforced(settings):
    settings.NEUROREGEN_REQUIRE_2FA = True


def test_statistician_checks_a_paper(page):
    user = make_user(Role.STATISTICIAN, None)
    errors = watch_errors(page)
    sign_in(page, user.username)
    page.goto("/evidence/")
    page.click("[data-testid=check-publication-link]")
    page.fill("#id_pct-0-label", "improved")
    page.fill("#id_pct-0-reported", "33.3x %")
    page.fill("#id_pct-0-n", "10")
    page.fill("#id_mean-0-reported", "3.48")
    page.fill("#id_mean-0-n", "20")
    page.fill("#id_arm-0-name", "training")
    page.fill("#id_arm-0-randomised", "8")
    page.fill("#id_arm-0-completed", "7")
    page.click("form[data-testid=check-publication-form] button[type=submit]")
    error = page.locator("[data-field-error='pct-0-reported']")
    assert "Enter one number as printed" in error.inner_text()
    # what was typed is still there
    assert page.input_value("#id_mean-0-reported") == "3.48"
    page.fill("#id_pct-0-reported", "33.3 %")
    page.click("form[data-testid=check-publication-form] button[type=submit]")
    page.wait_for_selector("[data-testid=percentage-results]")
    assert page.locator("[data-testid=percentage-row] [data-testid=impossible]").count() == 1
    assert page.locator("[data-testid=mean-row] [data-testid=impossible]").count() == 1
    assert page.locator("[data-testid=withdrawn]").inner_text() == "1"
    # the 422 of the corrected submission (and a favicon 404) are reported as failed loads;
    # CSP violations ("Refused to …") and script errors are not, and none may occur
    assert [e for e in errors if not e.startswith("Failed to load resource")] == []
