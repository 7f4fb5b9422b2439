"""Investigator confirmation and override, dose from the latest weight, protocol versions."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from neuroregen.core.errors import InvalidTransition, NotPermitted, SignatureRejected
from neuroregen.core.services import signature_verify, signatures_for
from neuroregen.participants import services as ps
from neuroregen.protocols import services, timeline
from neuroregen.protocols.dose import DoseRule, compute_dose
from neuroregen.protocols.errors import (
    DoseOutOfRange,
    NotEligible,
    OverrideReasonRequired,
    ProtocolInvalid,
    ProtocolNotEditable,
    WeightMissing,
)
from neuroregen.protocols.models import Assignment, Protocol
from neuroregen.protocols.selectors import current_assignment, protocol_export
from neuroregen.visits.models import Visit
from tests.helpers import PASSWORD
from tests.protocols.builders import (
    active_protocol,
    admin_user,
    document,
    enrolled_participant,
    recommend,
)


def test_pure_dose_rule_bounds_and_cap():
    rule = DoseRule(
        "cells_per_kg", Decimal("1e6"), Decimal("2e6"), Decimal("1.5e6"), Decimal("1e8")
    )
    assert compute_dose(rule, Decimal("20")).total == Decimal("3.0E+7")
    capped = compute_dose(rule, Decimal("80"))
    assert capped.capped
    assert capped.total == Decimal("1e8")
    assert "capped" in capped.explain()
    from neuroregen.protocols.dose import DoseOutOfBounds

    with pytest.raises(DoseOutOfBounds, match="outside the arm's range"):
        compute_dose(rule, Decimal("20"), Decimal("3e6"))
    with pytest.raises(DoseOutOfBounds, match="weight must be positive"):
        compute_dose(rule, Decimal("0"))


def _unchanged(assignment):
    assignment.refresh_from_db()
    return (assignment.status, assignment.row_version, assignment.history.count())


@pytest.fixture
def protocol(db):
    return active_protocol()


@pytest.fixture
def child(site_a, investigator_a):
    return enrolled_participant(investigator_a, site_a, weight="22")


def test_confirm_uses_latest_weight_and_signs(protocol, child, investigator_a, site_a):
    today = timeline.today_at(site_a.time_zone)
    ps.anthropometry_record(
        user=investigator_a,
        participant=child,
        measured_on=today - dt.timedelta(days=3),
        weight_kg=Decimal("24.5"),
    )
    assignment = recommend(investigator_a, child, protocol)
    assert assignment.recommended_arm.code == "msc-iv"
    confirmed = services.assignment_confirm(
        user=investigator_a,
        assignment=assignment,
        password=PASSWORD,
        planned_day_zero=today + dt.timedelta(days=14),
    )
    assert confirmed.status == "confirmed"
    assert confirmed.weight_kg == Decimal("24.5")
    assert confirmed.dose_per_kg == Decimal("1500000")
    assert confirmed.dose_total == Decimal("1500000") * Decimal("24.5")
    assert confirmed.confirmed_by == investigator_a
    assert confirmed.confirmed_at is not None
    signature = signatures_for(confirmed).get()
    assert signature.signer == investigator_a
    assert signature_verify(signature)
    assert "MSC" in signature.meaning
    assert current_assignment(child) == confirmed
    # planned day 0 → provisional visits
    visits = list(Visit.objects.filter(participant=child))
    assert visits
    assert all(v.provisional for v in visits)


def test_override_needs_a_reason_and_is_audited(protocol, child, investigator_a):
    assignment = recommend(investigator_a, child, protocol)
    cord_blood = protocol.arms.get(code="cb-iv")
    before = _unchanged(assignment)
    with pytest.raises(OverrideReasonRequired) as caught:
        services.assignment_confirm(
            user=investigator_a, assignment=assignment, password=PASSWORD, arm=cord_blood
        )
    assert caught.value.code == "override_reason_required"
    assert _unchanged(assignment) == before

    done = services.assignment_confirm(
        user=investigator_a,
        assignment=assignment,
        password=PASSWORD,
        arm=cord_blood,
        override_reason="stored autologous cord blood available",
    )
    assert done.status == "overridden"
    assert done.arm == cord_blood
    assert done.dose_per_kg == cord_blood.dose_per_kg_default
    latest = done.history.first()
    assert latest.history_user == investigator_a
    assert latest.history_change_reason == "override: stored autologous cord blood available"
    assert "override" in signatures_for(done).get().meaning


def test_dose_change_is_an_override(protocol, child, investigator_a):
    assignment = recommend(investigator_a, child, protocol)
    with pytest.raises(OverrideReasonRequired):
        services.assignment_confirm(
            user=investigator_a,
            assignment=assignment,
            password=PASSWORD,
            dose_per_kg=Decimal("1200000"),
        )
    done = services.assignment_confirm(
        user=investigator_a,
        assignment=assignment,
        password=PASSWORD,
        dose_per_kg=Decimal("1200000"),
        override_reason="recent infection; lower dose",
    )
    assert done.status == "overridden"
    assert done.dose_per_kg == Decimal("1200000")


def test_dose_outside_the_rule_is_refused_and_changes_nothing(protocol, child, investigator_a):
    assignment = recommend(investigator_a, child, protocol)
    before = _unchanged(assignment)
    with pytest.raises(DoseOutOfRange) as caught:
        services.assignment_confirm(
            user=investigator_a,
            assignment=assignment,
            password=PASSWORD,
            dose_per_kg=Decimal("5000000"),
            override_reason="more is better",
        )
    assert caught.value.code == "dose_out_of_bounds"
    assert "outside the arm's range" in caught.value.message
    assert _unchanged(assignment) == before
    assert not signatures_for(assignment).exists()


def test_total_dose_is_capped_and_said_so(protocol, site_a, investigator_a):
    heavy = enrolled_participant(
        investigator_a, site_a, weight="60", age_years=12, research_overrides={"dsm5_severity": 3}
    )
    assignment = recommend(investigator_a, heavy, protocol)
    assert assignment.recommended_arm.code == "ipsc-it"
    done = services.assignment_confirm(
        user=investigator_a, assignment=assignment, password=PASSWORD
    )
    assert done.dose_capped
    assert done.dose_total == Decimal("50000000")
    assert "capped" in done.dose_explanation


def test_missing_weight_is_refused(db, site_a, investigator_a):
    child = enrolled_participant(investigator_a, site_a, weight=None)
    with_weight_rule = recommend(investigator_a, child, active_protocol())
    assert not with_weight_rule.eligible  # the weight rule cannot be confirmed
    services.assignment_decline(user=investigator_a, assignment=with_weight_rule, reason="x")
    # a protocol without a weight rule still cannot dose per kg without a weight
    doc = document(code="NR-NOWEIGHT")
    doc["rules"] = [r for r in doc["rules"] if r["field"] != "weight_kg"]
    assignment = recommend(investigator_a, child, active_protocol(doc))
    assert assignment.eligible
    before = _unchanged(assignment)
    with pytest.raises(WeightMissing) as caught:
        services.assignment_confirm(user=investigator_a, assignment=assignment, password=PASSWORD)
    assert caught.value.code == "weight_missing"
    assert _unchanged(assignment) == before


def test_excluded_arm_cannot_be_chosen(protocol, site_a, investigator_a):
    light = enrolled_participant(investigator_a, site_a, weight="13")
    assignment = recommend(investigator_a, light, protocol)
    with pytest.raises(NotEligible, match="not open to this participant"):
        services.assignment_confirm(
            user=investigator_a,
            assignment=assignment,
            password=PASSWORD,
            arm=protocol.arms.get(code="ipsc-it"),
            override_reason="try anyway",
        )


def test_wrong_password_changes_nothing(protocol, child, investigator_a):
    assignment = recommend(investigator_a, child, protocol)
    before = _unchanged(assignment)
    with pytest.raises(SignatureRejected):
        services.assignment_confirm(
            user=investigator_a,
            assignment=assignment,
            password="wrong",
            planned_day_zero=dt.date.today(),  # noqa: DTZ011
        )
    assert _unchanged(assignment) == before
    assert not Visit.objects.exists()


def test_coordinator_cannot_confirm(protocol, child, coordinator_a):
    assignment = recommend(coordinator_a, child, protocol)
    with pytest.raises(NotPermitted):
        services.assignment_confirm(user=coordinator_a, assignment=assignment, password=PASSWORD)


def test_one_assignment_in_force(protocol, child, investigator_a):
    assignment = recommend(investigator_a, child, protocol)
    services.assignment_confirm(user=investigator_a, assignment=assignment, password=PASSWORD)
    with pytest.raises(InvalidTransition, match="already has an assignment"):
        recommend(investigator_a, child, protocol)
    services.assignment_end(
        user=investigator_a,
        assignment=assignment,
        ended_on=dt.date.today(),  # noqa: DTZ011
        reason="completed",
    )
    assert current_assignment(child) is None
    assert recommend(investigator_a, child, protocol).status == "recommended"


def test_export_import_round_trip_and_versions_are_immutable(db):
    admin = admin_user()
    original = active_protocol(user=admin)
    exported = protocol_export(original)
    text = json.dumps(exported)
    with pytest.raises(ProtocolInvalid, match="already exists"):
        services.protocol_import(user=admin, data=text)
    copy_ = services.protocol_import(user=admin, data=text.replace('"1.0"', '"2.0"'))
    exported_copy = protocol_export(copy_)
    for key in ("arms", "rules", "schedule", "phase_boundaries", "name"):
        assert exported_copy[key] == exported[key], key
    with pytest.raises(ProtocolNotEditable):
        services.protocol_update(user=admin, protocol=original, data=document(), reason="x")
    with pytest.raises(ProtocolInvalid, match="not valid JSON"):
        services.protocol_import(user=admin, data="{not json")


def test_only_protocol_managers_import(db, coordinator_a, investigator_a):
    for user in (coordinator_a, investigator_a):
        with pytest.raises(NotPermitted):
            services.protocol_import(user=user, data=document())
    assert not Protocol.objects.exists()
    assert not Assignment.objects.exists()
