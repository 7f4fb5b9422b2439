"""The frame contract: validator and the seeded synthetic generator."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from neuroregen.evidence import frames as fr


def test_synthetic_frames_meet_the_contract_and_are_labelled() -> None:
    f = fr.synthetic_frames(40, seed=1).validate()
    assert f.synthetic
    assert f.outcomes["synthetic"].all()
    assert set(f.outcomes["phase"]) == {"baseline", "early", "mid", "late"}
    # no identity ever: only the study code identifies a child
    assert not {"given_name", "family_name", "date_of_birth"} & set(f.outcomes.columns)


def test_synthetic_frames_are_reproducible() -> None:
    a, b = fr.synthetic_frames(20, seed=3), fr.synthetic_frames(20, seed=3)
    pd.testing.assert_frame_equal(a.outcomes, b.outcomes)
    assert not fr.synthetic_frames(20, seed=4).outcomes.equals(a.outcomes)


def test_baseline_is_the_last_baseline_value_of_each_measure() -> None:
    df = pd.DataFrame(
        {
            "study_code": ["A"] * 4,
            "measure": ["m"] * 4,
            "phase": ["baseline", "baseline", "early", "late"],
            "study_day": [-20.0, -5.0, 7.0, 200.0],
            "value": [50.0, 48.0, 45.0, 40.0],
        }
    )
    assert fr.attach_baseline(df)["baseline_value"].tolist() == [48.0] * 4


def test_context_taken_by_position_equals_the_join_on_study_code() -> None:
    f = fr.synthetic_frames(30, seed=5)
    own = [c for c in f.outcomes.columns if c not in f.participants.columns or c == "study_code"]
    # rows in a shuffled order, one of them of a child outside the analysis
    rows = f.outcomes[own].sample(frac=1.0, random_state=1).reset_index(drop=True)
    rows.loc[3, "study_code"] = "NOT-IN-ANALYSIS"
    joined = fr.with_context(rows, f.participants)
    at = pd.Index(f.participants["study_code"]).get_indexer(rows["study_code"])
    pd.testing.assert_frame_equal(fr.with_context(rows, f.participants, positions=at), joined)
    assert len(joined) == len(rows) - 1


def test_validator_lists_every_problem() -> None:
    f = fr.synthetic_frames(10)
    bad = f.outcomes.drop(columns=["measure_label"]).assign(
        phase="week-3", direction="up", value="high"
    )
    with pytest.raises(fr.FrameSchemaError) as info:
        fr.validate_frame(bad, fr.OUTCOME_COLUMNS)
    text = str(info.value)
    for expected in (
        "missing columns ['measure_label']",
        "unknown phases ['week-3']",
        "unknown directions ['up']",
        "'value' is not of kind float",
    ):
        assert expected in text


def test_below_lloq_needs_an_lloq() -> None:
    bio = fr.synthetic_frames(10).biomarkers.copy()
    bio.loc[bio.index[0], ["below_lloq", "lloq"]] = [True, np.nan]
    with pytest.raises(fr.FrameSchemaError, match="without an LLOQ"):
        fr.validate_frame(bio, fr.BIOMARKER_COLUMNS, name="biomarkers")


def test_bands() -> None:
    assert [fr.age_band(m) for m in (30, 60, 100, 200, None)] == [
        "2–4 y",
        "5–7 y",
        "8–12 y",
        "13–18 y",
        None,
    ]
    bands = fr.dose_bands(
        pd.Series([1.0, 2.0, 3.0, 10.0, 20.0, 30.0]), pd.Series(["a", "a", "a", "b", "b", "b"])
    )
    assert bands.tolist() == ["low", "middle", "high"] * 2
