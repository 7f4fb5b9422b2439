"""An investigator assigns a protocol, reads the recommendation and its reasons, confirms with an
e-signature and sees the generated timeline."""

from __future__ import annotations

import datetime as dt

import pytest

from neuroregen.protocols import timeline
from neuroregen.protocols.models import Assignment
from tests.helpers import PASSWORD
from tests.protocols.builders import active_protocol, enrolled_participant

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def sign_in(page, username):
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/")


def test_assign_recommend_confirm_and_see_timeline(page, investigator_a, site_a):
    protocol = active_protocol()
    child = enrolled_participant(investigator_a, site_a, research_overrides={"dsm5_severity": 3})
    planned = timeline.today_at(site_a.time_zone) + dt.timedelta(days=7)
    sign_in(page, investigator_a.username)

    page.goto(f"/visits/participant/{child.study_code}/")
    page.click("text=Assign a protocol")
    page.select_option("#id_protocol", str(protocol.pk))
    page.select_option("#id_coagulopathy", "no")
    page.select_option("#id_prior_cell_therapy", "no")
    page.click("main button[type=submit]")

    page.wait_for_url("**/protocols/assignments/*/")
    recommendation = page.get_by_test_id("recommendation").inner_text()
    assert "iPSC neural mix, intrathecal" in recommendation
    assert "DSM-5 level 3" in recommendation
    reasons = page.get_by_test_id("reasons").inner_text()
    assert "Meets inclusion criterion: Children aged 2 years or older" in reasons
    assert "Exclusion criterion does not apply: Uncontrolled epilepsy" in reasons
    fired = page.locator("[data-testid=reasons] tr[data-fired='1']").all_inner_texts()
    assert any("Arm iPSC neural mix, intrathecal recommended" in row for row in fired)

    page.fill("#id_planned_day_zero", planned.isoformat())
    page.fill("#id_password", PASSWORD)
    page.get_by_test_id("confirm").click()

    page.wait_for_url(f"**/visits/participant/{child.study_code}/")
    assert "Assignment confirmed and signed." in page.inner_text("main")
    summary = page.get_by_test_id("assignment-summary").inner_text()
    assert "iPSC neural mix, intrathecal" in summary
    assert planned.isoformat() in summary
    for phase, visit in (("early", "D7"), ("mid", "M3"), ("late", "M12")):
        column = page.locator(f"[data-phase={phase}]")
        assert visit in column.inner_text()
    assert page.locator("[data-visit=M12] [data-status=upcoming]").count() == 1
    assert Assignment.objects.get(participant=child).status == "confirmed"
