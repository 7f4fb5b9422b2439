"""Analyses on the synthetic frame with known effects; every number equals the stats result."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from neuroregen.evidence import analysis as an
from neuroregen.evidence import program_subgroups
from neuroregen.evidence.child import analyse_child
from neuroregen.evidence.frames import SyntheticEffects, synthetic_frames
from neuroregen.stats.claims import Verdict
from neuroregen.stats.proportions import ResponderDefinition, responder_rate
from neuroregen.stats.results import CAREGIVER_RATED, MULTIPLICITY, SYNTHETIC, UNCONTROLLED
from neuroregen.stats.within import hedges_g_av, mean_change

EFFECTS = SyntheticEffects(cgi_responder_rate=0.35)


@pytest.fixture(scope="module")
def frames():
    return synthetic_frames(160, seed=11, effects=EFFECTS)


@pytest.fixture(scope="module")
def ev(frames):
    return an.analyse_program(frames, arm="msc-iv", definition_key="cgi_i_2")


def _row(ev, measure, phase):
    return next(r for r in ev.rows if r.measure == measure and r.phase == phase)


def test_change_from_baseline_recovers_planted_effect(ev) -> None:
    late = _row(ev, "atec.atec_total", "late")
    # planted: −8 overall plus −4 more in the under-5s (about a quarter of children)
    assert late.change.ci_low < -8.0 < late.change.ci_high or late.change.ci_high < -8.0
    assert late.change.ci_high < 0
    early = _row(ev, "atec.atec_total", "early")
    assert early.change.estimate > late.change.estimate
    vin = _row(ev, "vineland3.abc", "late")
    assert vin.change.ci_low < EFFECTS.vineland_change_late < vin.change.ci_high


def test_page_numbers_equal_the_stats_package_on_the_same_rows(frames, ev) -> None:
    sub = frames.outcomes[frames.outcomes["arm"] == "msc-iv"]
    data = an.phase_values(sub, "atec.atec_total", "mid")
    from neuroregen.stats import Direction

    ref = mean_change(data["baseline_value"], data["value"], direction=Direction.HIGHER_IS_WORSE)
    g = hedges_g_av(data["baseline_value"], data["value"], direction=Direction.HIGHER_IS_WORSE)
    row = _row(ev, "atec.atec_total", "mid")
    assert (row.change.estimate, row.change.ci_low, row.change.ci_high) == (
        ref.estimate,
        ref.ci_low,
        ref.ci_high,
    )
    assert row.effect.estimate == g.estimate
    cgi = an.phase_values(sub, an.CGI_I_MEASURE, "late")
    rate = responder_rate(ResponderDefinition.cgi_i(2), cgi_i=cgi["value"])
    cgi_row = _row(ev, an.CGI_I_MEASURE, "late")
    assert (cgi_row.responder.estimate, cgi_row.responder.ci_low) == (rate.estimate, rate.ci_low)


def test_every_estimate_has_an_interval_comparator_and_synthetic_caveat(ev) -> None:
    estimates = ev.all_estimates()
    assert len(estimates) > 50
    for e in estimates:
        assert e.comparator
        assert not (math.isnan(e.ci_low) and math.isnan(e.ci_high)) or math.isnan(e.estimate)
    change = _row(ev, "atec.atec_total", "late").change
    assert {UNCONTROLLED, CAREGIVER_RATED, SYNTHETIC} <= set(change.caveats)


def test_responder_rate_stated_with_its_definition_and_benchmark(ev) -> None:
    row = _row(ev, an.CGI_I_MEASURE, "late")
    assert row.responder.details["definition"] == "CGI-I ≤ 2 (much or very much improved)"
    assert abs(row.responder.estimate - EFFECTS.cgi_responder_rate) < 0.15
    assert row.responder_vs_benchmark.details["benchmark"] == 0.19
    assert ev.definition_text == row.responder.details["definition"]


def test_score_based_definition_fills_each_measure(frames) -> None:
    ev = an.analyse_program(frames, arm="msc-iv", definition_key="reliable", include_models=False)
    row = _row(ev, "atec.atec_total", "late")
    assert "Jacobson–Truax" in row.responder.details["definition"]
    counts = row.reliable.counts()
    classified = counts["improved"] + counts["unchanged"] + counts["worsened"]
    assert classified == row.reliable.n_classified
    assert row.reliable.provisional  # ATEC reliability is split-half only


def test_mixed_model_trajectory_and_phase_contrasts(ev) -> None:
    traj = next(t for t in ev.trajectories if t.measure == "atec.atec_total")
    late = next(c for c in traj.model.contrasts if c.details["phase"] == "late")
    assert late.ci_high < 0
    assert traj.model.converged


def test_biomarkers_state_lloq_handling_and_find_the_early_fall(ev) -> None:
    assert "LLOQ/2" in ev.lloq_handling
    early = next(b for b in ev.biomarkers if b.phase == "early")
    assert early.ratio_to_baseline.ci_high < 1.0  # the planted fall is found
    assert early.level.details["n_below_lloq"] > 0
    assert "LLOQ/2" in early.level.method


def test_lloq_rule_changes_the_answer_and_is_a_choice(frames) -> None:
    # LLOQ/2 pushes the early values below their true level, so the fall looks larger than
    # the planted ratio; LLOQ/√2 substitutes higher values and lands nearer to it.
    def ratio(handling):
        ev = an.analyse_program(frames, arm="msc-iv", lloq_handling=handling, include_models=False)
        return next(b for b in ev.biomarkers if b.phase == "early").ratio_to_baseline.estimate

    half, root2 = ratio("half_lloq"), ratio("lloq_sqrt2")
    assert half < root2
    assert abs(root2 - EFFECTS.il6_fold_early) < abs(half - EFFECTS.il6_fold_early)


def test_durability_and_subgroups(ev) -> None:
    assert ev.durability is not None
    assert ev.durability.response_definition == ev.definition_text
    variables = {s.variable for s in ev.subgroups}
    assert {
        "age band",
        "DSM-5 severity",
        "genetic syndrome",
        "comorbidity",
        "lot",
        "dose band",
    } <= variables
    for s in ev.subgroups:
        assert MULTIPLICITY in s.caveats


def test_age_subgroup_shows_planted_gradient(frames) -> None:
    ev = an.analyse_program(frames, definition_key="cgi_i_2", include_models=False)
    age = next(s for s in ev.subgroups if s.variable == "age band")
    young = next(e for e in age.subgroups if e.details["level"] == "2–4 y")
    old = next(e for e in age.subgroups if e.details["level"] == "8–12 y")
    assert young.estimate < old.estimate  # younger fell more (the generator plants −4)
    assert any("confounded by development" in c for c in age.caveats)


def test_products_side_by_side_show_route_ae_difference(frames) -> None:
    ev = an.analyse_program(frames, definition_key="cgi_i_2", include_models=False)
    route = {p.level: p for p in ev.products if p.variable == "route"}
    assert route["it"].any_ae.estimate > route["iv"].any_ae.estimate
    assert route["it"].outcome is not None
    assert "Clopper–Pearson" in route["it"].any_ae.method


def test_claims_panel(ev) -> None:
    verdicts = {v.claim.text: v for v in ev.claims}
    assert len(verdicts) == 3
    majority = verdicts["60–80 % of patients improve"]
    assert majority.verdict is Verdict.NOT_SUPPORTED  # planted 35 %
    assert SYNTHETIC in majority.caveats
    younger = verdicts["the effect is larger in younger children"]
    assert younger.verdict is not Verdict.SUPPORTED
    assert any("confounded" in c for c in younger.caveats)


def test_unknown_definition_is_refused(frames) -> None:
    with pytest.raises(ValueError, match="unknown responder definition"):
        an.analyse_program(frames, definition_key="most")


def test_json_export_is_plain_data(ev) -> None:
    import json

    data = json.loads(json.dumps(ev.as_json()))
    assert data["synthetic"] is True
    assert all("ci_low" in e for e in data["estimates"])


def _reference(frames):
    """Reference SDs as the programme computes them: published norm, else all-sites baseline."""
    from neuroregen.evidence.reference_sd import ReferenceValue, baseline_sds
    from neuroregen.stats.reliable_change import PUBLISHED_RELIABILITY

    sds = baseline_sds(frames.outcomes)
    labels = frames.outcomes.drop_duplicates("measure").set_index("measure")["measure_label"]
    out = {}
    for measure, label in labels.items():
        norm = PUBLISHED_RELIABILITY.get(label)
        if norm is not None and norm.sd is not None:
            out[measure] = ReferenceValue(norm.sd, "published normative SD")
        elif measure in sds.index:
            out[measure] = ReferenceValue(float(sds.loc[measure, "sd"]), "baseline SD, all sites")
    return out


def test_child_reliable_change_per_follow_up(frames) -> None:
    code = frames.participants["study_code"].iloc[0]
    child = analyse_child(frames, code, _reference(frames))
    atec = next(m for m in child.measures if m.measure == "atec.atec_total")
    assert atec.verdicts is not None
    assert len(atec.verdict_list) == (atec.series["phase"] != "baseline").sum()
    assert "baseline SD" in atec.sd_source
    vin = next(m for m in child.measures if m.measure == "vineland3.abc")
    assert vin.reference_sd == 15.0  # published normative SD wins
    cgi = next(m for m in child.measures if m.measure == an.CGI_I_MEASURE)
    assert cgi.verdicts is None
    no_sd = analyse_child(frames, code, {})
    assert next(m for m in no_sd.measures if m.measure == "atec.atec_total").verdicts is None
    assert np.all(atec.series["study_day"].diff().dropna() >= 0)


def _durations_one_child_at_a_time(status):
    """The definition, child by child: first response to first later non-response."""
    records = []
    for code, rows in status.dropna(subset=["responder"]).groupby("study_code", sort=False):
        flags, days = rows["responder"].to_numpy(), rows["study_day"].to_numpy(float)
        hits = np.flatnonzero(flags == 1.0)
        if hits.size == 0:
            continue
        lost = np.flatnonzero(flags[hits[0] :] == 0.0)
        end, event = (days[hits[0] + lost[0]], 1) if lost.size else (days[-1], 0)
        records.append((code, (end - days[hits[0]]) / an.DAYS_PER_MONTH, event))
    return records


def test_response_durations_follow_the_definition_for_every_child(frames) -> None:
    status = an.responder_status(frames.outcomes, "cgi_i_2", "atec.atec_total")
    rng = np.random.default_rng(3)
    status.loc[rng.random(len(status)) < 0.1, "responder"] = np.nan  # unscored visits
    got = an.response_durations(status)
    expected = _durations_one_child_at_a_time(status)
    assert len(got) == len(expected) > 20
    assert list(got["study_code"]) == [r[0] for r in expected]
    np.testing.assert_allclose(got["months"], [r[1] for r in expected], rtol=0, atol=1e-12)
    assert list(got["event"]) == [r[2] for r in expected]
    assert {0, 1} <= set(got["event"])
    # a child who responds, loses it and responds again: the first loss ends the response
    one = pd.DataFrame(
        {
            "study_code": ["X"] * 4,
            "study_day": [30.0, 91.0, 182.0, 365.0],
            "responder": [0.0, 1.0, 0.0, 1.0],
        }
    )
    row = an.response_durations(one).iloc[0]
    assert (row["months"], row["event"]) == ((182.0 - 91.0) / an.DAYS_PER_MONTH, 1)
    assert an.response_durations(one.assign(responder=0.0)).empty


def test_small_lots_are_pooled_and_said_so(frames) -> None:
    import dataclasses

    people = frames.participants.copy()
    codes = people["study_code"]
    # the first 40 children each get a lot of their own (autologous products)
    own = codes.iloc[:40]
    people.loc[own.index, "lot"] = [f"AUTO-{i}" for i in range(40)]
    outcomes = frames.outcomes.copy()
    lot_of = dict(zip(codes, people["lot"], strict=True))
    outcomes["lot"] = outcomes["study_code"].map(lot_of)
    ev = an.analyse_program(
        dataclasses.replace(frames, participants=people, outcomes=outcomes), include_models=False
    )
    lots = {p.level: p for p in ev.products if p.variable == "lot"}
    assert an.SMALL_LOTS in lots
    assert not any(level.startswith("AUTO-") for level in lots)
    assert lots[an.SMALL_LOTS].any_ae.n == 40
    big = people.loc[~people.index.isin(own.index), "lot"].value_counts()
    assert {lv: p.any_ae.n for lv, p in lots.items() if lv != an.SMALL_LOTS} == big.to_dict()
    assert any(
        "40 lots with fewer than 5 participants each (40 participants)" in n for n in ev.notes
    )
    by_lot = next(s for s in ev.subgroups if s.variable == "lot")
    assert an.SMALL_LOTS in {e.details["level"] for e in by_lot.subgroups}


def test_product_table_skips_the_effect_of_a_level_with_fewer_than_two_changes():
    """A lot with two children of whom only one has a follow-up value shows its AE rates and no
    effect (it used to raise and take the whole page down)."""
    import numpy as np
    import pandas as pd

    from neuroregen.evidence.program_products import _products

    participants = pd.DataFrame(
        {
            "study_code": ["A", "B", "C", "D"],
            "lot": ["L1", "L1", "L2", "L2"],
            "dose_band": ["low", "low", "high", "high"],
            "route": ["IV", "IV", "IV", "IV"],
        }
    )
    merged = participants.assign(change=[-3.0, np.nan, -5.0, -1.0])
    aes = pd.DataFrame({"study_code": ["B"], "serious": [False]})
    rows = {
        (r.variable, r.level): r for r in _products(merged, participants, aes, "change", (), 0.95)
    }
    assert rows[("lot", "L1")].outcome is None
    assert rows[("lot", "L1")].any_ae.estimate == 0.5
    assert rows[("lot", "L2")].outcome.n == 2
    assert rows[("lot", "L2")].outcome.estimate == -3.0
    assert rows[("route", "IV")].outcome.n == 3


def test_product_table_equals_one_analysis_per_level(frames) -> None:
    """Each level's outcome is the overall estimate of a subgroup analysis of that level's
    children, and its AE rates count distinct children (the table is computed per variable in
    one grouping; this is the per-level definition it must equal)."""
    from neuroregen.stats.safety_rules import proportion_exact
    from neuroregen.stats.subgroups import subgroup_analysis

    ev = an.analyse_program(frames, definition_key="cgi_i_2", include_models=False)
    people = program_subgroups._subgroup_frame(frames.participants)
    change = program_subgroups._per_child_outcome(frames.outcomes, "atec.atec_total", "late")
    merged = change.merge(people, on="study_code", suffixes=("", "_p"))
    with_ae = set(frames.adverse_events["study_code"])
    serious = set(frames.adverse_events.loc[frames.adverse_events["serious"], "study_code"])
    ctx = (CAREGIVER_RATED, SYNTHETIC)
    expected = []
    for variable in ("lot", "dose_band", "route"):
        for level, group in people.groupby(variable, sort=True):
            codes = set(group["study_code"])
            values = merged[merged[variable] == level]
            outcome = (
                subgroup_analysis(
                    values.assign(one="all"),
                    outcome="change",
                    subgroup="one",
                    quantity=ev.subgroup_measure,
                    caveats=ctx,
                ).overall
                if values["change"].notna().sum() >= 2
                else None
            )
            expected.append(
                an.ProductRow(
                    variable,
                    str(level),
                    outcome,
                    proportion_exact(
                        len(codes & with_ae),
                        len(codes),
                        quantity=f"participants with any AE, {variable} = {level}",
                        caveats=ctx,
                    ),
                    proportion_exact(
                        len(codes & serious),
                        len(codes),
                        quantity=f"participants with a serious AE, {variable} = {level}",
                        caveats=ctx,
                    ),
                )
            )
    assert ev.products == expected


def test_reliable_change_definition_without_a_reliability_leaves_durability_unestimated(
    frames,
) -> None:
    """A primary measure without a reliability cannot define reliable improvement: the page
    says so instead of failing."""
    import dataclasses

    outcomes = frames.outcomes.assign(reliability=np.nan)
    ev = an.analyse_program(
        dataclasses.replace(frames, outcomes=outcomes),
        definition_key="reliable",
        include_models=False,
    )
    assert ev.durability is None
    assert "not estimable" in ev.durability_note
    assert "reliability" in ev.durability_note
    assert ev.rows  # the rest of the page is there


def test_control_arm_is_never_pooled_or_evaluated_as_treatment(frames) -> None:
    # issue 17, obs. 1: with a concurrent control arm, "all arms" must not count its children
    # among the patients, and the control arm on its own is only the comparator
    treated = frames.participants.loc[frames.participants["arm"] == "msc-iv", "study_code"]
    ev = an.analyse_program(
        frames, definition_key="cgi_i_2", include_models=False, control_arms=("ipsc-it",)
    )
    assert ev.n_participants == treated.nunique()
    assert ev.controlled is not None
    assert ev.controlled.control_arms == ("ipsc-it",)
    assert all(c.controlled for c in ev.claims)
    assert all(c.comparison is None or "ipsc-it" in c.comparison.comparator for c in ev.claims)
    control = an.analyse_program(
        frames,
        arm="ipsc-it",
        definition_key="cgi_i_2",
        include_models=False,
        control_arms=("ipsc-it",),
    )
    assert control.role == "control"
    assert control.claims == []
    assert all(r.responder_vs_benchmark is None and r.vs_benchmark is None for r in control.rows)
    assert "concurrent_control" in control.as_json()
