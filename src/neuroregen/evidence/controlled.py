"""The controlled analysis of a protocol with a concurrent control arm.

Where a protocol has a control arm (placebo, vehicle, sham, waitlist, delayed start, usual
care; ``protocols.Arm.is_control``), the effect of the therapy is treated − control, and the
evidence page leads with it. For each measure and follow-up phase (each child's value in the
phase as chosen by :func:`neuroregen.evidence.analysis.phase_values`):

* ANCOVA on change from baseline adjusted for baseline (:func:`stats.controlled.ancova_change`);
* responder risk difference and risk ratio on the chosen responder definition
  (:func:`stats.controlled.responder_difference`);

and per measure a mixed model with arm × phase over every visit
(:func:`stats.controlled.arm_phase_mixed_model`). Treated arms are pooled against the pooled
control arms; with one arm of each (NR-EXO-02: ``exo-in`` versus ``vehicle-in``) that is the
trial's own comparison. Nothing here computes a statistic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from django.utils.translation import gettext_noop

from neuroregen.evidence.frames import FOLLOW_UP_PHASES
from neuroregen.evidence.phase_summary import DEFAULT_PLAN, phase_values
from neuroregen.evidence.program_measures import (
    CGI_I_MEASURE,
    MODEL_PHASES,
    RESPONDER_CHOICES,
    _context,
    _try,
    measures,
    responder_definition,
)
from neuroregen.stats.controlled import (
    ArmPhaseModel,
    ancova_change,
    arm_phase_mixed_model,
    concurrent_comparator,
    responder_difference,
)
from neuroregen.stats.results import Estimate
from neuroregen.stats.text import text, text_join

__all__ = ["ControlledEvidence", "ControlledRow", "ControlledTrajectory", "analyse_controlled"]

ROLE_UNCONTROLLED = "uncontrolled"
ROLE_TREATED = "treated"
ROLE_CONTROL = "control"


@dataclass(frozen=True)
class ControlledRow:
    """Treated − control for one measure and phase."""

    measure: str
    measure_label: str
    phase: str
    direction: str
    n_treated: int
    n_control: int
    ancova: Estimate | None = None
    risk_difference: Estimate | None = None
    risk_ratio: Estimate | None = None
    notes: tuple[str, ...] = ()

    def estimates(self) -> list[Estimate]:
        return [e for e in (self.ancova, self.risk_difference, self.risk_ratio) if e is not None]


@dataclass(frozen=True)
class ControlledTrajectory:
    measure: str
    measure_label: str
    model: ArmPhaseModel | None
    note: str = ""


@dataclass
class ControlledEvidence:
    """The lead section of a controlled protocol's evidence page."""

    treated_arms: tuple[str, ...]
    control_arms: tuple[str, ...]
    definition_text: str
    rows: list[ControlledRow] = field(default_factory=list)
    trajectories: list[ControlledTrajectory] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def comparator(self) -> str:
        return concurrent_comparator(", ".join(self.control_arms))

    def estimates(self) -> list[Estimate]:
        out: list[Estimate] = []
        for r in self.rows:
            out += r.estimates()
        for t in self.trajectories:
            if t.model is not None:
                out += list(t.model.differences)
        return out

    def as_json(self, clean: Any) -> dict[str, Any]:
        """Plain data; ``clean`` turns an ``Estimate.as_row()`` into JSON-safe values."""
        return {
            "treated_arms": list(self.treated_arms),
            "control_arms": list(self.control_arms),
            "comparator": self.comparator,
            "responder_definition": self.definition_text,
            "rows": [
                {
                    "measure": r.measure,
                    "measure_label": r.measure_label,
                    "phase": r.phase,
                    "direction": r.direction,
                    "n_treated": r.n_treated,
                    "n_control": r.n_control,
                    "notes": list(r.notes),
                }
                for r in self.rows
            ],
            "mixed_models": [
                {
                    "measure": t.measure,
                    "measure_label": t.measure_label,
                    "note": t.note,
                    **(
                        {
                            "n_children": t.model.n_participants,
                            "n_observations": t.model.n_observations,
                            "interaction_test": dict(t.model.interaction_test),
                            "variance_components": dict(t.model.variance_components),
                        }
                        if t.model is not None
                        else {}
                    ),
                }
                for t in self.trajectories
            ],
            "estimates": [clean(e.as_row()) for e in self.estimates()],
            "notes": list(self.notes),
        }


def arm_role(arm: str | None, arms: Sequence[str], control_arms: Sequence[str]) -> str:
    """How the page treats the selected arm: uncontrolled, a treated arm, or the comparator."""
    controls = [a for a in control_arms if a in arms]
    if not controls:
        return ROLE_UNCONTROLLED
    return ROLE_CONTROL if arm in controls else ROLE_TREATED


def analyse_controlled(
    outcomes: pd.DataFrame,
    *,
    treated_arms: Sequence[str],
    control_arms: Sequence[str],
    definition_key: str,
    synthetic: bool,
    confidence: float = 0.95,
    include_models: bool = True,
    plan: Any = None,
) -> ControlledEvidence:
    """Treated − control per measure and phase, from the outcomes frame of both arms."""
    frame = outcomes[outcomes["arm"].isin([*treated_arms, *control_arms])]
    is_treated = frame["arm"].isin(treated_arms)
    control_text = ", ".join(control_arms)
    choice = RESPONDER_CHOICES[definition_key]
    metas = measures(frame)
    primary = next((m for m in metas if m.measure == "atec.atec_total"), None)
    definition_text = (
        responder_definition(definition_key).describe()
        if choice.uses_cgi
        else responder_definition(definition_key, primary).describe()
        if primary is not None and (definition_key != "reliable" or primary.reliability)
        else choice.label
    )
    ev = ControlledEvidence(tuple(treated_arms), tuple(control_arms), definition_text)
    present = [p for p in FOLLOW_UP_PHASES if (frame["phase"] == p).any()]
    treated_codes = set(frame.loc[is_treated, "study_code"])
    for meta in metas:
        rows = frame[frame["measure"] == meta.measure]
        ctx = _context(meta.caregiver_rated, synthetic)
        for phase in present:
            data = phase_values(rows, meta.measure, phase, plan or DEFAULT_PLAN)
            if data.empty:
                continue
            arm = data["study_code"].isin(treated_codes).to_numpy()
            n_t, n_c = int(arm.sum()), int((~arm).sum())
            if n_t == 0 or n_c == 0:
                continue
            notes: list[str] = []
            label = f"{meta.label}, {phase}"
            base = data["baseline_value"].to_numpy(float)
            follow = data["value"].to_numpy(float)
            ancova = None
            if meta.measure != CGI_I_MEASURE:
                ancova = _try(
                    lambda b=base, f=follow, t=arm, lab=label, m=meta, c=ctx: ancova_change(
                        b,
                        f,
                        t,
                        direction=m.direction,
                        label=lab,
                        control=control_text,
                        confidence=confidence,
                        caveats=c,
                    ),
                    notes,
                    gettext_noop("ANCOVA"),
                )
            rd = rr = None
            if choice.uses_cgi == (meta.measure == CGI_I_MEASURE):
                definition = _try(
                    lambda m=meta: responder_definition(definition_key, m),
                    notes,
                    gettext_noop("responder definition"),
                )
                if definition is not None:
                    status = (
                        definition.apply(cgi_i=follow)
                        if choice.uses_cgi
                        else definition.apply(baseline=base, follow_up=follow)
                    )
                    known = ~np.isnan(status)
                    st, sc = status[arm & known], status[~arm & known]
                    if st.size and sc.size:
                        pair = _try(
                            lambda st=st, sc=sc, d=definition, c=ctx: responder_difference(
                                int(st.sum()),
                                int(st.size),
                                int(sc.sum()),
                                int(sc.size),
                                definition=d.describe(),
                                control=control_text,
                                confidence=confidence,
                                caveats=c,
                            ),
                            notes,
                            gettext_noop("responders between arms"),
                        )
                        if pair is not None:
                            rd, rr = pair
            ev.rows.append(
                ControlledRow(
                    meta.measure,
                    meta.label,
                    phase,
                    meta.direction.value,
                    n_t,
                    n_c,
                    ancova,
                    rd,
                    rr,
                    tuple(notes),
                )
            )
        if include_models and meta.measure != CGI_I_MEASURE:
            ev.trajectories.append(
                _trajectory(meta, rows, treated_codes, control_text, ctx, confidence)
            )
    if not ev.rows:
        ev.notes.append(
            text("no follow-up phase has children in both the treated and control arms")
        )
    return ev


def _trajectory(
    meta: Any,
    rows: pd.DataFrame,
    treated_codes: set[str],
    control: str,
    ctx: tuple[str, ...],
    confidence: float,
) -> ControlledTrajectory:
    keep = rows["phase"].isin(MODEL_PHASES) & rows["value"].notna()
    part = rows.loc[keep, ["study_code", "phase", "value"]]
    data = part.assign(treated=part["study_code"].isin(treated_codes))
    notes: list[str] = []
    model = _try(
        lambda: arm_phase_mixed_model(
            data,
            participant="study_code",
            phase="phase",
            score="value",
            treated="treated",
            phases=MODEL_PHASES,
            control=control,
            direction=meta.direction,
            quantity=meta.label,
            confidence=confidence,
            caveats=ctx,
        ),
        notes,
        gettext_noop("arm × phase mixed model"),
    )
    return ControlledTrajectory(meta.measure, meta.label, model, text_join(notes))
