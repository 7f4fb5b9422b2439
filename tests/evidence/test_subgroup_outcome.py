"""Subgroups and the table by lot, dose and route follow the protocol's primary outcome and phase.

Observed before: the subgroup outcome was the latest phase with any data — on NR-CELL-01 a
long-term phase with two children — so every subgroup analysis was "not estimable" and the
lot/dose/route column all "—", while the late phase had dozens of children.
"""

from __future__ import annotations

import pandas as pd
import pytest

from neuroregen.evidence import analysis as an
from neuroregen.evidence.frames import synthetic_frames
from neuroregen.evidence.phase_summary import AnalysisPlan


@pytest.fixture(scope="module")
def frames():
    """Synthetic programme where two children have reached the long-term visit."""
    f = synthetic_frames(120, seed=23)
    outcomes = f.outcomes
    two = outcomes["study_code"].drop_duplicates().iloc[:2]
    late = outcomes[outcomes["study_code"].isin(two) & (outcomes["visit_code"] == "M12")].assign(
        phase="long_term", visit_code="M24", study_day=730.0
    )
    f.outcomes = pd.concat([outcomes, late], ignore_index=True)
    return f


def test_subgroups_use_the_primary_phase_not_the_latest_phase_with_data(frames) -> None:
    ev = an.analyse_program(frames, include_models=False)
    assert ev.subgroup_phase == "late"
    assert ev.subgroup_n > 50
    assert len(ev.subgroups) == len(an.SUBGROUP_VARIABLES)
    assert all(s.overall.n == ev.subgroup_n for s in ev.subgroups)
    assert "late − baseline" in ev.subgroup_measure
    assert "visit nearest to study day 270" in ev.subgroup_measure
    with_outcome = [p for p in ev.products if p.outcome is not None]
    assert len(with_outcome) >= len(ev.products) / 2
    assert not [n for n in ev.notes if "not estimable" in n and "subgroups" in n]


def test_too_few_children_at_the_primary_phase_is_said_with_its_n(frames) -> None:
    ev = an.analyse_program(
        frames, plan=AnalysisPlan(primary_phase="long_term"), include_models=False
    )
    assert ev.subgroups == []
    assert ev.subgroup_n == 2
    assert any("too few children" in n and "n = 2 children" in n for n in ev.notes)
    assert ev.as_json()["subgroup_outcome"] == {
        "quantity": ev.subgroup_measure,
        "phase": "long_term",
        "n_children": 2,
    }


def test_primary_measure_comes_from_the_plan(frames) -> None:
    ev = an.analyse_program(
        frames, plan=AnalysisPlan(primary_measure="vineland3.abc"), include_models=False
    )
    label = frames.outcomes.loc[
        frames.outcomes["measure"] == "vineland3.abc", "measure_label"
    ].iloc[0]
    assert label in ev.subgroup_measure
