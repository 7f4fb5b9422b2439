"""Participant-flow reconciliation.

Sources
-------
* CONSORT 2010 flow diagram as completed in a published two-arm trial (123dok copy
  "CONSORT 2010 Flow Diagram"): assessed 33, excluded 17 (3 not meeting criteria, 13
  declined, 1 other), randomised 16; per arm allocated 8, received 8, discontinued 1, lost 0,
  analysed 7. The diagram adds up; variants below alter one number each.
* Moher D et al. CONSORT 2010 Explanation and Elaboration, BMJ 2010;340:c869, items 13a/13b:
  numbers randomised, receiving the intervention and analysed per group; losses after
  randomisation per group.
* Issue 17, observation 9 (this programme's DSMB flow): 90 screened − 3 excluded ≠ 78
  enrolled; "treated 13 → followed early 15".
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neuroregen.stats.flow_checks import (
    FlowTotals,
    ReportedArm,
    Severity,
    reconcile_flow,
)


def _published():
    arms = [
        ReportedArm("intervention", randomised=8, received=8, completed=7, analysed=7, withdrawn=1),
        ReportedArm("control", randomised=8, received=8, completed=7, analysed=7, withdrawn=1),
    ]
    totals = FlowTotals(assessed=33, excluded=3 + 13 + 1, randomised=16, analysed=14)
    return arms, totals


def _codes(flow):
    return sorted(i.code for i in flow.issues)


class TestPublishedDiagram:
    def test_adds_up_and_derives_losses(self):
        arms, totals = _published()
        flow = reconcile_flow(arms, totals)
        assert flow.consistent
        assert flow.issues == ()
        for row in flow.arms:
            assert row.not_received == 0
            assert row.withdrawn_after_randomisation == 1
            assert row.withdrawn_after_treatment == 1
            assert row.not_analysed == 1
        assert flow.sum_over_arms("randomised") == 16

    def test_enrolment_box_that_does_not_add_up(self):
        arms, _ = _published()
        flow = reconcile_flow(arms, FlowTotals(assessed=33, excluded=16))
        assert _codes(flow) == ["enrolment_mismatch"]
        issue = flow.errors[0]
        assert issue.params == {"assessed": 33, "excluded": 16, "expected": 17, "randomised": 16}

    def test_issue_observation_nine(self):
        flow = reconcile_flow(
            [ReportedArm("all", randomised=78, received=13, completed=15)],
            FlowTotals(assessed=90, excluded=3),
        )
        assert _codes(flow) == ["enrolment_mismatch", "stage_exceeds"]
        stage = next(i for i in flow.issues if i.code == "stage_exceeds")
        assert (stage.params["earlier"], stage.params["later"]) == ("received", "completed")

    def test_total_over_arms_differs(self):
        arms, _ = _published()
        flow = reconcile_flow(arms, FlowTotals(randomised=17, analysed=14))
        assert _codes(flow) == ["total_mismatch"]
        assert flow.errors[0].params == {"stage": "randomised", "total": 17, "summed": 16}

    def test_reported_withdrawals_disagree(self):
        arm = ReportedArm("a", randomised=8, completed=7, withdrawn=2)
        assert _codes(reconcile_flow([arm])) == ["losses_mismatch"]

    def test_analysed_more_than_randomised_is_an_error(self):
        flow = reconcile_flow([ReportedArm("a", randomised=8, completed=7, analysed=9)])
        assert _codes(flow) == ["analysed_exceeds"]

    def test_analysed_more_than_completed_is_a_note_unless_completers(self):
        arm = ReportedArm("a", randomised=8, completed=7, analysed=8)
        itt = reconcile_flow([arm])
        assert itt.consistent
        assert [i.severity for i in itt.issues] == [Severity.NOTE]
        completers = reconcile_flow([arm], analysed_completers=True)
        assert not completers.consistent

    def test_negative_count(self):
        assert "negative" in _codes(reconcile_flow([ReportedArm("a", randomised=-1)]))

    def test_missing_counts_are_not_checked(self):
        flow = reconcile_flow([ReportedArm("a", randomised=8)], FlowTotals(assessed=20))
        assert flow.issues == ()
        assert flow.arms[0].withdrawn_after_randomisation is None

    def test_refuses_empty_or_duplicate_arms(self):
        with pytest.raises(ValueError, match="no reported arm"):
            reconcile_flow([])
        with pytest.raises(ValueError, match="same name"):
            reconcile_flow([ReportedArm("a"), ReportedArm("a")])


class TestRegistryMatch:
    registry = (
        ReportedArm("exo-in", randomised=14, received=13, completed=12, analysed=12),
        ReportedArm("exo-iv", randomised=6, received=6, completed=6, analysed=6),
        ReportedArm("vehicle-in", randomised=12, received=12, completed=11, analysed=11),
    )

    def test_same_names_match_case_insensitively(self):
        flow = reconcile_flow(
            [ReportedArm("EXO-IN", randomised=14, received=13, completed=12, analysed=12)],
            registry=self.registry,
        )
        assert flow.consistent
        assert flow.arms[0].registry_arms == ("exo-in",)
        assert flow.unreported_registry_arms == ("exo-iv", "vehicle-in")
        assert {i.code for i in flow.issues} == {"registry_arm_unreported"}

    def test_combined_arms_are_summed(self):
        treated = ReportedArm(
            "exosomes (all routes)",
            randomised=20,
            received=19,
            completed=17,
            analysed=18,
            registry_arms=("exo-in", "exo-iv"),
        )
        flow = reconcile_flow([treated], registry=self.registry)
        row = flow.arms[0]
        assert dict(row.registry) == {
            "randomised": 20,
            "received": 19,
            "completed": 18,
            "analysed": 18,
        }
        assert row.difference("completed") == -1
        mismatch = [i for i in flow.errors if i.code == "registry_mismatch"]
        assert [i.params["stage"] for i in mismatch] == ["completed"]

    def test_unknown_registry_arm(self):
        flow = reconcile_flow(
            [ReportedArm("placebo", randomised=12, registry_arms=("sham",))],
            registry=self.registry,
        )
        assert "registry_arm_unknown" in _codes(flow)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 50), st.integers(0, 50), st.integers(0, 50)),
        min_size=1,
        max_size=4,
    )
)
def test_any_monotone_flow_built_from_people_adds_up(drop_counts):
    """Build arms by removing people stage by stage: the result is always consistent."""
    arms = []
    for i, (randomised, lost_treatment, lost_follow_up) in enumerate(drop_counts):
        received = max(0, randomised - lost_treatment)
        completed = max(0, received - lost_follow_up)
        arms.append(
            ReportedArm(
                f"arm{i}",
                randomised=randomised,
                received=received,
                completed=completed,
                analysed=randomised,
                withdrawn=randomised - completed,
            )
        )
    total = sum(a.randomised or 0 for a in arms)
    flow = reconcile_flow(
        arms,
        FlowTotals(assessed=total + 5, excluded=5, randomised=total, analysed=total),
        registry=arms,
    )
    assert flow.consistent
    assert [r.withdrawn_after_randomisation for r in flow.arms] == [a.withdrawn for a in arms]
