"""In a real browser: a coordinator enrols an authenticator, and pages run under the CSP."""

from __future__ import annotations

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.helpers import PASSWORD
from tests.security.twofactor import current_code

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(autouse=True)
def _two_factor_enforced(settings):
    settings.NEUROREGEN_REQUIRE_2FA = True


def test_enrol_authenticator_then_use_htmx_search_without_csp_violations(page, coordinator_a):
    violations = []
    page.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    page.goto("/login/", timeout=90_000)  # the live server's first response can be slow
    page.fill("#id_username", coordinator_a.username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/account/two-factor/setup/**")
    assert page.get_by_test_id("totp-qr").locator("svg").is_visible()

    device = TOTPDevice.objects.get(user=coordinator_a, confirmed=False)
    page.fill("#id_token", current_code(device))
    page.click("main button[type=submit]")
    codes = page.get_by_test_id("recovery-codes").inner_text().split()
    assert len(codes) == 10
    page.click("text=I have kept them")
    page.wait_for_url("**/")
    assert page.get_by_role("heading", name="Site dashboard").is_visible()

    page.goto("/participants/")
    page.fill("#id_q", "no-such-code")  # htmx swaps the table: external script, no eval
    page.wait_for_function(
        "() => document.querySelector('[data-testid=participant-table]')"
        ".innerText.includes('No participants match')"
    )
    assert violations == []
