"""Program-level and per-child analyses: tidy frames in, ``neuroregen.stats`` results out.

Nothing here computes a statistic. This module decides *which* rows go into which
``neuroregen.stats`` function (per arm, measure and phase), and collects the result objects so
pages, exports and tests read the same numbers. Data shaping done here, stated once:

* the follow-up value of a phase is taken from each child's assessments in that phase by the
  protocol's phase summary rule (``phase_summary``: nearest to the phase's target day by
  default), stated on the page;
* subgroups and the table by lot, dose and route use the protocol's primary outcome and primary
  phase;
* the baseline is each child's last baseline-phase value (``frames.attach_baseline``);
* durations for durability run from the first follow-up meeting the responder definition to
  the first later follow-up that does not (in months of 30.4375 days);
* biomarker values below LLOQ are handled by a stated rule (default LLOQ/2).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from django.utils.translation import gettext_noop

from neuroregen.evidence.claims_panel import CONTROL_ARM_NOTE, program_claims
from neuroregen.evidence.controlled import (
    ROLE_CONTROL,
    ROLE_UNCONTROLLED,
    analyse_controlled,
    arm_role,
)
from neuroregen.evidence.frames import FOLLOW_UP_PHASES, EvidenceFrames
from neuroregen.evidence.phase_rows import (
    RANDOM_SLOPE_MAX_PARTICIPANTS,
    _biomarkers,
    _cgi_row,
    _score_row,
    _trajectory,
    response_durations,
)
from neuroregen.evidence.phase_summary import DEFAULT_PLAN, AnalysisPlan, phase_values
from neuroregen.evidence.program_evidence import (
    BiomarkerPhase,
    PhaseRow,
    ProductRow,
    ProgramEvidence,
    Trajectory,
)
from neuroregen.evidence.program_measures import (
    CGI_I_MEASURE,
    DAYS_PER_MONTH,
    DEFAULT_RESPONDER,
    MODEL_PHASES,
    RESPONDER_CHOICES,
    MeasureMeta,
    ResponderChoice,
    _try,
    measures,
    responder_definition,
    responder_status,
)
from neuroregen.evidence.program_subgroups import (
    LOT_MIN_PARTICIPANTS,
    SMALL_LOTS,
    SUBGROUP_MIN_CHILDREN,
    SUBGROUP_VARIABLES,
    _pooled_lots_note,
    _subgroup_frame,
    _subgroups_and_products,
)
from neuroregen.stats.censored import (
    LLOQ_HANDLING,
    Handling,
)
from neuroregen.stats.durability import durability
from neuroregen.stats.results import SYNTHETIC
from neuroregen.stats.text import text, text_join

__all__ = [
    "CGI_I_MEASURE",
    "DAYS_PER_MONTH",
    "DEFAULT_RESPONDER",
    "LOT_MIN_PARTICIPANTS",
    "MODEL_PHASES",
    "RANDOM_SLOPE_MAX_PARTICIPANTS",
    "RESPONDER_CHOICES",
    "SMALL_LOTS",
    "SUBGROUP_MIN_CHILDREN",
    "SUBGROUP_VARIABLES",
    "BiomarkerPhase",
    "MeasureMeta",
    "PhaseRow",
    "ProductRow",
    "ProgramEvidence",
    "ResponderChoice",
    "Trajectory",
    "analyse_program",
    "arms_of",
    "measures",
    "phase_values",
    "responder_definition",
    "responder_status",
    "response_durations",
]


_OUTCOME_COLUMNS = (
    "study_code",
    "phase",
    "study_day",
    "visit_code",
    "instrument",
    "measure",
    "measure_label",
    "domain",
    "value",
    "direction",
    "reliability",
    "reliability_provisional",
    "respondent",
    "baseline_value",
    "age_months",
)


_BIOMARKER_COLUMNS = (
    "study_code",
    "phase",
    "study_day",
    "analyte",
    "unit",
    "value",
    "below_lloq",
    "lloq",
)


def analyse_program(
    frames: EvidenceFrames,
    *,
    arm: str | None = None,
    definition_key: str = DEFAULT_RESPONDER,
    primary_measure: str | None = None,
    lloq_handling: Handling = "half_lloq",
    confidence: float = 0.95,
    include_models: bool = True,
    control_arms: Sequence[str] = (),
    plan: AnalysisPlan = DEFAULT_PLAN,
) -> ProgramEvidence:
    """Every analysis of the program evidence page for one arm (or all arms when None).

    With ``control_arms`` (the protocol's concurrent controls, ``Arm.is_control``) present in
    the data, the page leads with treated − control (``evidence.controlled``); "all arms"
    then means all *treated* arms (control children are never pooled into "patients"), the
    published benchmarks are not used, and a control arm chosen on its own is shown as the
    comparator, with no claims.

    ``plan`` is the protocol's analysis plan (``phase_summary.plan_of``): the primary outcome
    and phase of the subgroup and lot/dose analyses, and the rule that picks one value per
    child and phase.
    """
    if definition_key not in RESPONDER_CHOICES:
        raise ValueError(f"unknown responder definition {definition_key!r}")
    arms_present = list(arms_of(frames))
    role = arm_role(arm, arms_present, control_arms)
    controls = [a for a in control_arms if a in arms_present]
    treated_arms = [a for a in arms_present if a not in controls]

    def pick(df: pd.DataFrame) -> pd.DataFrame:
        if arm:
            return df[df["arm"] == arm]
        return df[~df["arm"].isin(controls)] if controls else df

    participants, aes = pick(frames.participants), pick(frames.adverse_events)
    # only the columns the analyses read: the frames repeat some twenty participant columns
    # on every row, which each split and filter below would otherwise copy
    outcomes = pick(frames.outcomes)[list(_OUTCOME_COLUMNS)]
    bio = pick(frames.biomarkers)[list(_BIOMARKER_COLUMNS)]
    synthetic = bool(participants["synthetic"].astype(bool).any()) if len(participants) else False
    label = arm or (text("all treated arms") if controls else text("all arms"))
    choice = RESPONDER_CHOICES[definition_key]
    metas = measures(outcomes)
    scored = [m for m in metas if m.measure != CGI_I_MEASURE]
    planned = plan.primary_measure if any(m.measure == plan.primary_measure for m in scored) else ""
    primary = (
        primary_measure
        or planned
        or next(
            (m.measure for m in scored if m.measure == "atec.atec_total"),
            scored[0].measure if scored else CGI_I_MEASURE,
        )
    )
    primary_meta = next((m for m in metas if m.measure == primary), None)
    definition_text = (
        responder_definition(definition_key).describe()
        if choice.uses_cgi
        else responder_definition(definition_key, primary_meta).describe()
        if primary_meta is not None and (definition_key != "reliable" or primary_meta.reliability)
        else choice.label
    )
    benchmarks = role == ROLE_UNCONTROLLED
    ev = ProgramEvidence(
        role=role,
        arm=label,
        definition_key=definition_key,
        definition_text=definition_text,
        synthetic=synthetic,
        n_participants=int(participants["study_code"].nunique()),
        n_treated=int(participants.loc[participants["received"], "study_code"].nunique()),
        lloq_handling=LLOQ_HANDLING[lloq_handling],
        notes=list(frames.notes),
        phase_rules={p: plan.describe(p) for p in FOLLOW_UP_PHASES},
    )
    present = [p for p in FOLLOW_UP_PHASES if (outcomes["phase"] == p).any()]
    # each measure's rows once, in frame order (filters below then touch only those rows and
    # give the same rows in the same order as filtering the whole frame)
    split = dict(tuple(outcomes.groupby("measure", sort=False))) if len(outcomes) else {}

    def of(measure: str) -> pd.DataFrame:
        return split.get(measure, outcomes.iloc[0:0])

    for meta in scored:
        for phase in present:
            data = phase_values(of(meta.measure), meta.measure, phase, plan)
            if data.empty:
                continue
            ev.rows.append(
                _score_row(
                    label, meta, phase, data, definition_key, synthetic, confidence, benchmarks
                )
            )
        if include_models:
            ev.trajectories.append(
                _trajectory(label, meta, of(meta.measure), synthetic, confidence)
            )
    if choice.uses_cgi:
        for phase in present:
            data = phase_values(of(CGI_I_MEASURE), CGI_I_MEASURE, phase, plan)
            if not data.empty:
                ev.rows.append(
                    _cgi_row(label, phase, data, definition_key, synthetic, confidence, benchmarks)
                )
    ev.biomarkers = _biomarkers(label, bio, lloq_handling, synthetic, confidence)

    # durability of response on the chosen definition
    status_of = of(CGI_I_MEASURE if choice.uses_cgi else primary)
    # a definition the primary measure cannot support (reliable change without a
    # reliability) leaves durability not estimable, said so, instead of failing the page
    status_notes: list[str] = []
    status = None
    if primary_meta or choice.uses_cgi:
        status = _try(
            lambda: responder_status(status_of, definition_key, primary),
            status_notes,
            gettext_noop("responder definition"),
        )
    has_status = status is not None and not status.empty
    durations = response_durations(status) if has_status else pd.DataFrame()
    if len(durations):
        notes: list[str] = []
        ev.durability = _try(
            lambda: durability(
                durations["months"].to_numpy(),
                durations["event"].to_numpy(),
                response_definition=definition_text,
                caveats=(SYNTHETIC,) if synthetic else (),
            ),
            notes,
            gettext_noop("durability"),
        )
        ev.durability_note = text_join(notes)
    else:
        ev.durability_note = text_join(status_notes) or (
            text("no child met the responder definition at a follow-up visit")
        )

    # subgroups and the table by lot, dose and route: change in the protocol's primary outcome
    # at its primary phase (not the latest phase with any data, which can hold two children)
    sub_frame = _subgroup_frame(participants)
    pooled = _pooled_lots_note(participants)
    if pooled:
        ev.notes.append(pooled)
    if primary != CGI_I_MEASURE and primary_meta is not None:
        _subgroups_and_products(ev, of(primary), primary_meta, sub_frame, aes, plan, confidence)
    if controls:
        both = frames.outcomes[[*_OUTCOME_COLUMNS, "arm"]]
        ev.controlled = analyse_controlled(
            both,
            treated_arms=[arm] if arm and role != ROLE_CONTROL else treated_arms,
            control_arms=controls,
            definition_key=definition_key,
            synthetic=synthetic,
            confidence=confidence,
            include_models=include_models,
            plan=plan,
        )
    if role == ROLE_CONTROL:
        ev.claims, ev.claim_notes = [], [CONTROL_ARM_NOTE]
        return ev
    control_rows = None
    if controls:
        control_rows = frames.outcomes[frames.outcomes["arm"].isin(controls)]
    ev.claims, ev.claim_notes = program_claims(
        of(CGI_I_MEASURE if choice.uses_cgi else primary),
        definition_key,
        primary,
        primary_meta,
        synthetic,
        confidence,
        control_outcomes=control_rows,
        control_arm=", ".join(controls),
        plan=plan,
    )
    return ev


def arms_of(frames: EvidenceFrames) -> Sequence[str]:
    return sorted(a for a in frames.participants["arm"].dropna().unique())
