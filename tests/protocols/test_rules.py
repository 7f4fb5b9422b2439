"""Eligibility and personalisation rules: every rule that fires shows its reason."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest

from neuroregen.protocols import rules
from neuroregen.protocols.errors import RuleFieldUnknown, RuleInvalid
from neuroregen.protocols.models import EligibilityRule, Protocol
from neuroregen.protocols.services import protocol_import, protocol_update
from neuroregen.synthetic.protocols import cell_protocol_document
from tests.protocols.builders import active_protocol, admin_user, enrolled_participant, recommend

DOC = cell_protocol_document()
ARMS = DOC["arms"]
RULES = DOC["rules"]
BASE = {
    "age_months": 72,
    "age_years": 6.0,
    "sex": "M",
    "dsm5_severity": 2,
    "genetic_finding": "none",
    "syndrome": "",
    "comorbidities": [],
    "epilepsy_control": "",
    "uncontrolled_epilepsy": False,
    "coagulopathy": False,
    "prior_cell_therapy": False,
    "weight_kg": 22.0,
    "therapy_hours_per_week": 10.0,
    "consent_scope": ["guardian_consent"],
    "consent_withdrawn": False,
}


def run(**changes):
    return rules.evaluate(RULES, ARMS, {**BASE, **changes})


def fired(evaluation):
    return {o.rule: o.text for o in evaluation.fired()}


def test_typical_child_gets_msc_with_the_reason():
    result = run()
    assert result.eligible
    assert result.recommended_arm == "msc-iv"
    assert result.recommended_dose_per_kg == Decimal("1500000")
    assert "comparator product, MSC intravenous" in result.recommendation_reason
    assert set(fired(result)) == {"default-msc"}
    # rules that did not fire still say what they checked
    texts = {o.rule: o.text for o in result.outcomes}
    assert texts["age-min"] == "Meets inclusion criterion: Children aged 2 years or older"
    assert texts["epilepsy"].startswith("Exclusion criterion does not apply")


@pytest.mark.parametrize(
    ("changes", "rule", "text"),
    [
        (
            {"age_months": 20, "age_years": 1.7},
            "age-min",
            "Excluded — does not meet inclusion criterion: Children aged 2 years or older",
        ),
        (
            {"age_months": 160, "age_years": 13.3},
            "age-max",
            "Excluded — does not meet inclusion criterion: Children younger than 13 years",
        ),
        (
            {"consent_scope": []},
            "consent",
            "Excluded — does not meet inclusion criterion: Signed guardian consent on file",
        ),
        (
            {"weight_kg": 9.5},
            "weight-min",
            "Excluded — does not meet inclusion criterion: Weight of at least 10 kg",
        ),
        ({"uncontrolled_epilepsy": True}, "epilepsy", "Excluded: Uncontrolled epilepsy"),
        ({"coagulopathy": True}, "coagulopathy", "Excluded: Coagulopathy"),
        ({"prior_cell_therapy": True}, "prior-cells", "Excluded: Prior cell therapy"),
    ],
)
def test_each_exclusion_shows_its_reason(changes, rule, text):
    result = run(**changes)
    assert not result.eligible
    assert result.recommended_arm is None
    assert fired(result)[rule].startswith(text)
    assert any(e.startswith(text) for e in result.exclusions)
    assert all(not arm.eligible for arm in result.arms)
    assert "excluded" in result.recommendation_reason


def test_unrecorded_value_never_counts_as_fine():
    result = run(weight_kg=None, coagulopathy=None)
    assert not result.eligible
    texts = fired(result)
    assert "cannot be confirmed (latest weight (kg) not recorded)" in texts["weight-min"]
    assert "cannot be ruled out (coagulopathy not recorded)" in texts["coagulopathy"]


def test_arm_exclusions_and_preferences_show_reasons():
    result = run(dsm5_severity=3, weight_kg=14.0)
    texts = fired(result)
    assert texts["it-weight"] == (
        "Arm iPSC neural mix, intrathecal not offered: "
        "Intrathecal administration needs a weight of at least 15 kg"
    )
    assert texts["severe-ipsc"].startswith("Arm iPSC neural mix, intrathecal recommended")
    # the preferred arm is excluded, so the next preference that fired is recommended
    assert result.recommended_arm == "msc-iv"
    ipsc = next(a for a in result.arms if a.code == "ipsc-it")
    assert not ipsc.eligible
    assert "at least 15 kg" in ipsc.reasons[0]


def test_severe_child_is_recommended_intrathecal_neural_cells():
    result = run(dsm5_severity=3)
    assert result.recommended_arm == "ipsc-it"
    assert "DSM-5 level 3" in result.recommendation_reason


def test_young_child_prefers_cord_blood_and_syndromic_excludes_ipsc():
    result = run(age_months=40, age_years=3.3, genetic_finding="syndromic", syndrome="fragile_x")
    assert result.recommended_arm == "cb-iv"
    assert "Under 4 years" in fired(result)["young-cb"]
    assert "syndromic variant" in fired(result)["ipsc-syndromic"]


def test_dose_rule_fires_and_sets_the_recommended_dose():
    result = run(weight_kg=45.0)
    assert result.recommended_arm == "msc-iv"
    assert result.recommended_dose_per_kg == Decimal("1000000")
    assert "lower per-kg MSC dose" in fired(result)["msc-heavy"]
    assert "lower per-kg MSC dose" in result.recommendation_reason


UNKNOWN_FIELD_RULE = {
    "code": "iq",
    "kind": "exclude",
    "field": "iq_score",
    "operator": "lt",
    "value": 50,
    "reason": "Low IQ",
}


def test_rule_problems_name_the_unknown_field():
    problems = rules.rule_problems(UNKNOWN_FIELD_RULE, {})
    assert [p.code for p in problems] == ["rule_unknown_field"]
    assert "unknown profile field 'iq_score'" in problems[0].message


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"field": "age_months", "operator": "contains", "value": 3}, "cannot be used with"),
        ({"field": "genetic_finding", "operator": "eq", "value": "mosaic"}, "not a known code"),
        ({"field": "comorbidities", "operator": "contains", "value": "asthma"}, "not a known code"),
        ({"field": "age_months", "operator": "in", "value": 3}, "needs a list"),
        ({"field": "coagulopathy", "operator": "eq", "value": "yes"}, "not a valid value"),
        ({"field": "age_months", "operator": "ge", "value": 24, "reason": " "}, "needs the reason"),
        ({"kind": "prefer_arm", "arm_code": "gene-therapy"}, "does not have"),
        (
            {"kind": "dose_per_kg", "arm_code": "msc-iv", "dose_per_kg": "9000000"},
            "outside arm msc-iv's range",
        ),
    ],
)
def test_invalid_rules_are_explained(rule, message):
    base = {
        "code": "r1",
        "kind": "exclude",
        "field": "age_months",
        "operator": "ge",
        "value": 24,
        "reason": "A reason",
    }
    problems = rules.rule_problems({**base, **rule}, {a["code"]: a for a in ARMS})
    assert problems
    assert all(p.code == "rule_invalid" for p in problems)
    assert any(message in p.message for p in problems), [p.message for p in problems]


@pytest.mark.django_db
def test_import_with_unknown_rule_field_is_refused_and_creates_nothing():
    doc = copy.deepcopy(DOC)
    doc["rules"].append(dict(UNKNOWN_FIELD_RULE))
    with pytest.raises(RuleFieldUnknown) as caught:
        protocol_import(user=admin_user(), data=doc)
    assert caught.value.code == "rule_unknown_field"
    assert "iq_score" in caught.value.message
    assert not Protocol.objects.exists()
    assert not EligibilityRule.objects.exists()


@pytest.mark.django_db
def test_editing_a_draft_with_an_invalid_rule_changes_nothing():
    admin = admin_user()
    draft = protocol_import(user=admin, data=DOC)
    before = list(draft.rules.values_list("code", "field"))
    doc = copy.deepcopy(DOC)
    doc["rules"][0]["operator"] = "approximately"
    with pytest.raises(RuleInvalid, match="unknown operator 'approximately'"):
        protocol_update(user=admin, protocol=draft, data=doc, reason="typo")
    assert list(draft.rules.values_list("code", "field")) == before


@pytest.mark.django_db
def test_recommendation_stores_profile_and_every_reason(site_a, investigator_a):
    protocol = active_protocol()
    child = enrolled_participant(
        investigator_a, site_a, comorbidities=(("epilepsy", "uncontrolled"),)
    )
    assignment = recommend(investigator_a, child, protocol)
    assert assignment.status == "recommended"
    assert not assignment.eligible
    assert assignment.recommended_arm is None
    assert assignment.profile["uncontrolled_epilepsy"] is True
    assert assignment.profile["comorbidities"] == ["epilepsy"]
    texts = [o["text"] for o in assignment.evaluation["outcomes"] if o["fired"]]
    assert any(t.startswith("Excluded: Uncontrolled epilepsy") for t in texts)
    assert len(assignment.evaluation["outcomes"]) == len(DOC["rules"])
