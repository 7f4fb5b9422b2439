"""The protocol's analysis plan: primary outcome and phase, and the phase summary rule."""

from __future__ import annotations

from html import unescape

import pytest
from django.utils import translation

from neuroregen.evidence.phase_summary import plan_of
from neuroregen.protocols import services
from neuroregen.protocols.errors import ProtocolInvalid
from neuroregen.protocols.selectors import protocol_export
from tests.protocols.builders import admin_user, document


@pytest.mark.django_db
def test_default_plan_is_nearest_to_the_phase_target_day():
    protocol = services.protocol_import(user=admin_user(), data=document())
    plan = plan_of(protocol)
    assert plan.rule == "nearest_target"
    assert plan.primary_phase == "late"
    assert plan.targets == {"early": 28, "mid": 90, "late": 270, "long_term": 730}
    assert plan.describe("late") == "visit nearest to study day 270"


@pytest.mark.django_db
def test_plan_is_imported_exported_and_changed_with_a_reason():
    user = admin_user()
    data = document(
        analysis_plan={
            "primary_measure": "vineland3.abc",
            "primary_phase": "late",
            "phase_summary_rule": "mean_of_visits",
            "phase_targets": {"late": 365},
        }
    )
    protocol = services.protocol_import(user=user, data=data)
    assert (protocol.primary_measure, protocol.phase_summary_rule) == (
        "vineland3.abc",
        "mean_of_visits",
    )
    exported = protocol_export(protocol)["analysis_plan"]
    assert exported["phase_targets"]["late"] == 365
    assert exported["phase_targets"]["early"] == 28

    exported_doc = protocol_export(protocol)
    exported_doc["analysis_plan"]["phase_summary_rule"] = "last_in_window"
    services.protocol_update(
        user=user, protocol=protocol, data=exported_doc, reason="SAP v2: last visit"
    )
    protocol.refresh_from_db()
    assert protocol.phase_summary_rule == "last_in_window"
    last = protocol.history.first()
    assert last.history_change_reason == "SAP v2: last visit"
    assert last.prev_record.phase_summary_rule == "mean_of_visits"


@pytest.mark.django_db
def test_every_plan_problem_is_listed_and_nothing_is_written():
    data = document(
        analysis_plan={
            "primary_phase": "someday",
            "phase_summary_rule": "first",
            "phase_targets": {"late": 30, "mid": "M3"},
        }
    )
    with pytest.raises(ProtocolInvalid) as caught:
        services.protocol_import(user=admin_user(), data=data)
    messages = " | ".join(caught.value.errors)
    assert "primary_phase must be one of" in messages
    assert "phase_summary_rule must be one of" in messages
    assert "late target day 30 lies outside the phase (study days 150 to 400)" in messages
    assert "mid target day must be a whole study day" in messages


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "rule"),
    [
        ("en", "visit nearest to the phase's target day"),
        ("ru", "визит, ближайший к целевому дню фазы"),
        ("uk", "візит, найближчий до цільового дня фази"),
    ],
)
def test_protocol_page_states_the_plan(monitor, language, rule):
    from django.urls import reverse

    from tests.security.battery import client_for

    protocol = services.protocol_import(user=admin_user(), data=document())
    # the request activates its language in this thread: put the former one back afterwards
    with translation.override(language):
        page = client_for(monitor).get(
            reverse("protocol_detail", args=[protocol.pk]), HTTP_ACCEPT_LANGUAGE=language
        )
    html = unescape(page.content.decode())
    plan = html[html.index('data-testid="analysis-plan"') :].split("</p>")[0]
    assert rule in plan
    assert "28 / 90 / 270 / 730" in plan
