"""Plot specs: intervals drawn, synthetic watermark, DejaVu Sans, SVG renders offline."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from django.utils import translation

from neuroregen.evidence import analysis as an
from neuroregen.evidence import plots
from neuroregen.evidence.child import analyse_child
from neuroregen.evidence.frames import synthetic_frames
from tests.evidence.test_analysis import _reference


@pytest.fixture(scope="module")
def ev_and_frames():
    f = synthetic_frames(40, seed=5)
    return an.analyse_program(f, arm="msc-iv"), f


def _text(spec) -> str:
    return json.dumps(spec, ensure_ascii=False)


def test_effect_plots_draw_intervals_and_watermark(ev_and_frames) -> None:
    ev, _ = ev_and_frames
    specs = [
        plots.trajectory_chart(ev.trajectories[0], True),
        plots.forest_chart(ev.subgroups[0], True),
        plots.durability_chart(ev.durability, True),
    ]
    for spec in specs:
        text = _text(spec)
        assert '"y2"' in text or '"x2"' in text  # the interval is an encoded range
        assert "SYNTHETIC DATA" in text
        assert spec["config"]["font"] == "DejaVu Sans"
    assert "SYNTHETIC DATA" not in _text(plots.trajectory_chart(ev.trajectories[0], False))


def test_svg_renders_offline_with_dejavu(ev_and_frames) -> None:
    ev, f = ev_and_frames
    svg = plots.to_svg(plots.forest_chart(ev.subgroups[0], True))
    assert svg.startswith("<svg")
    assert "DejaVu Sans" in svg
    child = analyse_child(f, f.participants["study_code"].iloc[0], _reference(f))
    spans = pd.DataFrame(
        [
            {"phase": "baseline", "start": -30.0, "end": 0.0},
            {"phase": "late", "start": 150.0, "end": 400.0},
        ]
    )
    spec = plots.child_timeline_chart(child, spans)
    assert "Biomarkers (below-LLOQ values drawn at the LLOQ)" in _text(spec)
    assert plots.to_svg(spec).startswith("<svg")


def test_chart_words_follow_the_active_language(ev_and_frames) -> None:
    ev, f = ev_and_frames
    code = f.adverse_events["study_code"].iloc[0]
    child = analyse_child(f, code, _reference(f))
    assert not child.adverse_events.empty
    spans = pd.DataFrame([{"phase": "baseline", "start": -30.0, "end": 0.0}])
    english = (
        "mean by phase",
        "model mean",
        '"phase"}',  # the x-axis title
        "estimate (95% CI)",
        "probability response lasts",
        "since first response",
        "Durability of response",
        "study day",
        "Biomarkers (below-LLOQ",
        "adverse event",
        "(grade ",
        "SYNTHETIC DATA",
        '"baseline"',  # a phase drawn as its code
    )
    with translation.override("uk"):
        text = " ".join(
            _text(spec)
            for spec in (
                plots.trajectory_chart(ev.trajectories[0], True),
                plots.forest_chart(ev.subgroups[0], True),
                plots.durability_chart(ev.durability, True),
                plots.child_timeline_chart(child, spans),
            )
        )
    for phrase in english:
        assert phrase not in text, phrase
    for phrase in (
        "середнє за фазами (95% ДІ)",
        "Вихідний рівень",
        "оцінка (95% ДІ)",
        "ймовірність збереження відповіді",
        "день дослідження",
        "(ступінь ",
        "СИНТЕТИЧНІ ДАНІ",
    ):
        assert phrase in text, phrase
