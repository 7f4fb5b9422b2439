"""In a real browser: an administrator invites a staff member, who sets a password through the
welcome link and is then asked to enrol two-factor sign-in; no page breaks the CSP."""

from __future__ import annotations

import pytest

from neuroregen.accounts.models import AccountEvent
from neuroregen.core.models import User
from neuroregen.core.roles import Role
from tests.helpers import PASSWORD, make_user
from tests.security.twofactor import confirmed_totp_device, current_code

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

NEW_PASSWORD = "welcome-to-the-lab-2026"


@pytest.fixture(autouse=True)
def _two_factor_enforced(settings):
    settings.NEUROREGEN_REQUIRE_2FA = True


def test_invite_staff_then_welcome_link_then_two_factor(page, browser, live_server, site_a):
    violations: list[str] = []
    page.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    admin = make_user(Role.ADMINISTRATOR, None, "browser-admin")
    device = confirmed_totp_device(admin)
    page.goto("/login/")
    page.fill("#id_username", admin.username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/account/two-factor/verify/**")
    page.fill("#id_token", current_code(device))
    page.click("main button[type=submit]")
    page.wait_for_url("**/")

    page.goto("/users/invite/")
    page.click("main button[type=submit]")  # empty form: every problem at once, nothing made
    assert page.locator("[data-field-error]").count() >= 2
    page.fill("#id_username", "lab-newcomer")
    page.fill("#id_first_name", "Iryna")
    page.select_option("#id_role", "lab")
    page.select_option("#id_site", str(site_a.pk))
    page.fill("#id_reason", "new QC analyst")
    page.click("main button[type=submit]")
    link = page.get_by_test_id("welcome-link").inner_text().strip()
    assert AccountEvent.objects.get(target__username="lab-newcomer").actor == admin

    newcomer = browser.new_context(base_url=live_server.url, locale="en-GB").new_page()
    newcomer.goto(link)
    newcomer.fill("#id_password", NEW_PASSWORD)
    newcomer.fill("#id_password_again", NEW_PASSWORD)
    newcomer.click("main button[type=submit]")
    newcomer.wait_for_url("**/login/**")
    newcomer.fill("#id_username", "lab-newcomer")
    newcomer.fill("#id_password", NEW_PASSWORD)
    newcomer.click("main button[type=submit]")
    newcomer.wait_for_url("**/account/two-factor/setup/**")
    assert User.objects.get(username="lab-newcomer").memberships.get().role == "lab"

    page.goto("/users/")
    assert "lab-newcomer" in page.get_by_test_id("user-list").inner_text()
    assert violations == []
