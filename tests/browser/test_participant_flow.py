"""A coordinator signs in, registers a child, records consent and finds the child in the list."""

from __future__ import annotations

import datetime as dt

import pytest

from neuroregen.core.models import User
from neuroregen.participants.models import Participant
from tests.helpers import PASSWORD, consent_document, site_a_today
from tests.security.twofactor import confirmed_totp_device, current_code

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(autouse=True)
def _two_factor_enforced(settings):
    settings.NEUROREGEN_REQUIRE_2FA = True


def sign_in(page, username):
    """Password, then the current code of the user's authenticator (staff need both)."""
    device = confirmed_totp_device(User.objects.get(username=username))
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/account/two-factor/verify/**")
    page.fill("#id_token", current_code(device))
    page.click("main button[type=submit]")
    page.wait_for_url("**/")


def test_register_consent_and_list(page, coordinator_a, site_a):
    document = consent_document()
    today = site_a_today()
    sign_in(page, coordinator_a.username)
    assert page.get_by_role("heading", name="Site dashboard").is_visible()

    page.click("text=Participants")
    page.click("text=Register a child")
    page.fill("#id_given_name", "Maria")
    page.fill("#id_family_name", "Browsertest")
    page.fill("#id_date_of_birth", (today - dt.timedelta(days=6 * 365)).isoformat())
    page.fill("#id_guardian_name", "Olga Browsertest")
    page.fill("#id_guardian_relationship", "mother")
    page.select_option("#id_sex", "F")
    page.fill("#id_country", "UA")
    page.select_option("#id_dsm5_severity", "2")
    page.select_option("#id_diagnostic_instrument", "ados2")
    page.select_option("#id_genetic_finding", "none")
    page.click("main button[type=submit]")

    page.wait_for_url("**/participants/P-*/")
    participant = Participant.objects.get()
    assert page.get_by_test_id("status").inner_text() == "Screening"
    assert "Maria Browsertest" in page.get_by_test_id("identity").inner_text()

    page.click("text=Record consent")
    page.select_option("#id_document", str(document.pk))
    page.fill("#id_signed_by_relationship", "mother")
    page.click("main button[type=submit]")
    page.wait_for_url(f"**/participants/{participant.study_code}/")
    assert page.get_by_test_id("status").inner_text() == "Consented"
    assert "mother" in page.get_by_test_id("consents").inner_text()

    page.goto("/participants/")
    table = page.get_by_test_id("participant-table")
    assert participant.study_code in table.inner_text()
    page.fill("#id_q", "no-such-code")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=participant-table]')"
        ".innerText.includes('No participants match')"
    )


def test_invalid_registration_shows_specific_message_and_saves_nothing(page, coordinator_a, site_a):
    sign_in(page, coordinator_a.username)
    page.goto("/participants/new/")
    page.fill("#id_given_name", "Future")
    page.fill("#id_family_name", "Child")
    page.fill("#id_date_of_birth", (site_a_today() + dt.timedelta(days=30)).isoformat())
    page.fill("#id_guardian_name", "G")
    page.fill("#id_guardian_relationship", "father")
    page.select_option("#id_sex", "M")
    page.fill("#id_country", "UA")
    page.select_option("#id_dsm5_severity", "1")
    page.select_option("#id_diagnostic_instrument", "ados2")
    page.click("main button[type=submit]")
    error = page.locator("[data-field-error=date_of_birth]")
    assert "in the future" in error.inner_text()
    assert not Participant.objects.exists()
