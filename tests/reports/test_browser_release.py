"""An investigator releases a progress report; the family signs in and reads it in Ukrainian."""

from __future__ import annotations

import pytest

from neuroregen.core.roles import Role
from neuroregen.participants.models import FamilyLink
from neuroregen.reports import services
from tests.browser.test_participant_flow import sign_in
from tests.helpers import PASSWORD, make_user
from tests.reports.builders import child_with_data

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(autouse=True)
def _two_factor_enforced(settings):
    settings.NEUROREGEN_REQUIRE_2FA = True


def test_investigator_releases_and_family_reads_in_ukrainian(
    page, site_a, coordinator_a, investigator_a
):
    participant = child_with_data(coordinator_a, site_a)
    report = services.family_report_draft(user=coordinator_a, participant=participant, phase="late")
    family = make_user(Role.FAMILY, site_a, "family-uk")
    family.preferred_language = "uk"
    family.save()
    FamilyLink.objects.create(user=family, participant=participant)

    sign_in(page, investigator_a.username)
    page.goto(f"/reports/{report.pk}/")
    assert page.get_by_test_id("report-draft").is_visible()
    page.fill("#id_clinician_note", "Спокійний візит, дякуємо!")
    page.fill("#id_reason", "review")
    page.click("form[action$='/edit/'] button[type=submit]")
    page.wait_for_url(f"**/reports/{report.pk}/")
    page.fill("[data-testid=release-form] #id_password", PASSWORD)
    page.click("[data-testid=release-form] button[type=submit]")
    page.wait_for_url(f"**/reports/{report.pk}/")
    assert page.get_by_test_id("report-status").inner_text() == "Released"
    page.click("nav button[type=submit]")  # sign out

    page.goto("/login/")
    page.fill("#id_username", family.username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/")
    page.goto("/family/")
    assert page.get_by_role("heading", name="Ваша сторінка родини").is_visible()
    page.get_by_test_id("family-reports").get_by_role("link").first.click()
    page.wait_for_url(f"**/family/reports/{report.pk}/")
    body = page.get_by_test_id("family-report").inner_text()
    assert "Звіт про прогрес" in body
    assert "Порівняльної групи" in body
    assert "Спокійний візит, дякуємо!" in body
    assert "знизився на 7 балів" in body
    assert page.locator("html").get_attribute("lang") == "uk"
