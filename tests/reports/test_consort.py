"""The CONSORT flow adds up: every box's count equals the sum of the boxes it splits into.

Generated cohorts (hypothesis) cover every path a child can take; a tampered flow shows that
the check finds what does not add up.
"""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neuroregen.evidence.frames import FOLLOW_UP_PHASES
from neuroregen.reports import consort
from neuroregen.reports.consort import FlowRecord, build_flow, conservation_violations

ARMS = ("active", "control", "third")


@st.composite
def records(draw: st.DrawFn, index: int) -> FlowRecord:
    code = f"P-{index:04d}"
    outcome = draw(st.sampled_from(consort.SCREEN_OUTCOMES))
    if outcome != consort.ENROLLED:
        return FlowRecord(
            code,
            outcome,
            exclusion_reason=draw(st.sampled_from(["", "age", "epilepsy"])),
            withdrawal_reason=draw(st.sampled_from(["", "moved away"])),
        )
    arm = draw(st.sampled_from(("", *ARMS)))
    if not arm:
        return FlowRecord(code, outcome, not_received_reason="awaiting allocation")
    received = draw(st.booleans())
    if not received:
        return FlowRecord(
            code,
            outcome,
            arm=arm,
            not_received_reason=draw(st.sampled_from(["", "withdrew"])),
            not_analysed_reason="did not receive the product",
        )
    analysed = draw(st.booleans())
    return FlowRecord(
        code,
        outcome,
        arm=arm,
        received=True,
        stop_phase=draw(st.sampled_from(FOLLOW_UP_PHASES)),
        stop_kind=draw(st.sampled_from([consort.WITHDRAWN, consort.ONGOING])),
        withdrawal_reason=draw(st.sampled_from(["", "no further data"])),
        analysed=analysed,
        not_analysed_reason="" if analysed else "no baseline value",
        has_data_in=frozenset(draw(st.sets(st.sampled_from(FOLLOW_UP_PHASES)))),
    )


@st.composite
def cohorts(draw: st.DrawFn) -> list[FlowRecord]:
    n = draw(st.integers(min_value=0, max_value=60))
    return [draw(records(i)) for i in range(n)]


@settings(max_examples=150, deadline=None)
@given(cohorts())
def test_generated_cohorts_add_up_at_every_box(cohort):
    flow = build_flow(cohort, arms=["control"])
    assert conservation_violations(flow) == []
    assert flow.box("screened").n == len(cohort)
    # every allocated child is in exactly one arm, and reaches a follow-up phase only once
    # it received the product
    assert sum(flow.per_arm("allocated").values()) == sum(1 for r in cohort if r.arm)
    for arm in flow.arms:
        received = flow.box(f"received:{arm}").n
        assert flow.box(f"reached_{FOLLOW_UP_PHASES[0]}:{arm}").n == received
        stopped = sum(
            flow.box(f"{kind}_{phase}:{arm}").n
            for phase in FOLLOW_UP_PHASES
            for kind in ("withdrawn", "ongoing")
        )
        assert stopped == received  # nobody disappears and nobody withdraws twice
        assert flow.box(f"analysed:{arm}").n <= received


def test_a_flow_that_does_not_add_up_is_reported_box_by_box():
    cohort = [
        FlowRecord("P-1", consort.EXCLUDED, exclusion_reason="age"),
        FlowRecord("P-2", consort.SCREENING),
        FlowRecord("P-3", consort.ENROLLED, arm="active", received=True, stop_phase="mid"),
        FlowRecord("P-4", consort.ENROLLED, arm="active"),
    ]
    flow = build_flow(cohort)
    assert conservation_violations(flow) == []
    # 90 screened − 3 excluded ≠ 78 enrolled: the kind of flow the old report printed
    flow.boxes["screened"] = dataclasses.replace(flow.box("screened"), n=5)
    flow.boxes["reached_early:active"] = dataclasses.replace(flow.box("reached_early:active"), n=3)
    found = {v.box: v for v in conservation_violations(flow)}
    assert set(found) == {"screened", "received:active", "reached_early:active"}
    assert found["screened"].n == 5
    assert found["screened"].total == 4
    assert "n = 5" in str(found["screened"])


def test_each_split_of_an_arm_partitions_its_allocated_children():
    cohort = [
        FlowRecord(
            "P-1",
            consort.ENROLLED,
            arm="exo",
            received=True,
            stop_phase="late",
            stop_kind=consort.WITHDRAWN,
            withdrawal_reason="moved away",
            analysed=True,
        ),
        FlowRecord(
            "P-2",
            consort.ENROLLED,
            arm="exo",
            not_received_reason="first administration not yet given",
            not_analysed_reason="did not receive the product",
        ),
        FlowRecord(
            "P-3",
            consort.ENROLLED,
            arm="exo",
            received=True,
            stop_phase="early",
            stop_kind=consort.ONGOING,
            not_analysed_reason="no follow-up value yet",
        ),
    ]
    flow = build_flow(cohort, arms=["exo", "vehicle"])
    assert flow.arms == ["exo", "vehicle"]
    assert flow.per_arm("allocated") == {"exo": 3, "vehicle": 0}
    assert flow.box("received:exo").n == 2
    assert flow.box("not_received:exo").reasons == [("first administration not yet given", 1)]
    # withdrawal is placed in the phase it happened in, never after long-term follow-up
    assert flow.box("withdrawn_late:exo").reasons == [("moved away", 1)]
    assert flow.box("withdrawn_long_term:exo").n == 0
    assert flow.box("reached_mid:exo").n == 1
    assert flow.box("ongoing_early:exo").n == 1
    assert flow.box("analysed:exo").n == 1
    assert dict(flow.box("not_analysed:exo").reasons) == {
        "did not receive the product": 1,
        "no follow-up value yet": 1,
    }
    assert conservation_violations(flow) == []


def test_an_unknown_screening_outcome_is_refused():
    with pytest.raises(ValueError, match="P-9"):
        build_flow([FlowRecord("P-9", "lost")])
