"""One value per child and phase by the protocol's rule, stated on the page.

Observed before: "late" silently meant the last visit in the phase (M6, M9 or M12, whichever
came last), so children followed for different times were pooled as one "late" value.
"""

from __future__ import annotations

import pandas as pd
import pytest

from neuroregen.evidence import analysis as an
from neuroregen.evidence.frames import synthetic_frames
from neuroregen.evidence.phase_summary import AnalysisPlan, phase_values


def _late_visits() -> pd.DataFrame:
    """Child A seen at M6, M9 and M12; child B at M6 and M12; child C at M6 only."""
    rows = []
    for code, visits in {
        "A": [(180, 30.0), (270, 24.0), (365, 18.0)],
        "B": [(180, 28.0), (365, 20.0)],
        "C": [(180, 33.0)],
    }.items():
        for day, value in visits:
            rows.append(
                {
                    "study_code": code,
                    "measure": "atec.atec_total",
                    "phase": "late",
                    "study_day": float(day),
                    "value": value,
                    "baseline_value": 40.0,
                    "age_months": 60.0,
                }
            )
    return pd.DataFrame(rows)


def _values(plan: AnalysisPlan) -> dict[str, float]:
    data = phase_values(_late_visits(), "atec.atec_total", "late", plan)
    return dict(zip(data["study_code"], data["value"], strict=True))


def test_nearest_to_target_is_the_default_and_takes_the_visit_nearest_day_270() -> None:
    assert AnalysisPlan().rule == "nearest_target"
    assert _values(AnalysisPlan()) == {"A": 24.0, "B": 28.0, "C": 33.0}


def test_nearest_to_target_prefers_the_later_visit_on_a_tie() -> None:
    tie = _late_visits()
    tie = tie[tie["study_code"] == "B"].assign(study_day=[180.0, 360.0])  # 90 days either side
    data = phase_values(tie, "atec.atec_total", "late", AnalysisPlan())
    assert list(data["value"]) == [20.0]
    moved = phase_values(tie, "atec.atec_total", "late", AnalysisPlan(targets={"late": 269}))
    assert list(moved["value"]) == [28.0]


def test_last_in_window_and_mean_of_visits() -> None:
    assert _values(AnalysisPlan(rule="last_in_window")) == {"A": 18.0, "B": 20.0, "C": 33.0}
    assert _values(AnalysisPlan(rule="mean_of_visits")) == {"A": 24.0, "B": 24.0, "C": 33.0}


def test_unknown_rule_is_refused() -> None:
    with pytest.raises(ValueError, match="phase summary rule"):
        AnalysisPlan(rule="first")


@pytest.fixture(scope="module")
def frames():
    return synthetic_frames(120, seed=5)


def test_page_states_the_rule_of_every_phase_and_follows_it(frames) -> None:
    last = an.analyse_program(
        frames, plan=AnalysisPlan(rule="last_in_window"), include_models=False
    )
    nearest = an.analyse_program(frames, plan=AnalysisPlan(), include_models=False)
    assert nearest.phase_rules["late"] == "visit nearest to study day 270"
    assert last.phase_rules["late"] == "last visit in the phase"
    assert nearest.as_json()["phase_summary_rules"]["late"] == "visit nearest to study day 270"

    def late_change(ev):
        return next(
            r for r in ev.rows if r.measure == "atec.atec_total" and r.phase == "late"
        ).change.estimate

    # synthetic late visits are M6 (day 180) and M12 (day 365): nearest to 270 is M6
    m6 = phase_values(frames.outcomes, "atec.atec_total", "late", AnalysisPlan())
    assert (m6["study_day"] < 300).mean() > 0.8
    assert late_change(nearest) != late_change(last)
