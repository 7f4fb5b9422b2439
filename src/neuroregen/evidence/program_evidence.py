"""What a programme analysis returns: one row per measure and phase, the trajectories, the
biomarkers and the table by product, gathered in :class:`ProgramEvidence`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from neuroregen.evidence.controlled import (
    ROLE_UNCONTROLLED,
    ControlledEvidence,
)
from neuroregen.stats.benchmarks import Benchmark
from neuroregen.stats.claims import ClaimVerdict
from neuroregen.stats.durability import DurabilityResult
from neuroregen.stats.mixed import MixedModelResult
from neuroregen.stats.reliable_change import ReliableChangeResult
from neuroregen.stats.results import Estimate
from neuroregen.stats.subgroups import SubgroupResult

__all__ = [
    "BiomarkerPhase",
    "PhaseRow",
    "ProductRow",
    "ProgramEvidence",
    "Trajectory",
]


@dataclass(frozen=True)
class PhaseRow:
    """Everything shown for one arm × measure × phase, each figure beside its comparator."""

    arm: str
    measure: str
    measure_label: str
    phase: str
    direction: str
    change: Estimate | None = None
    effect: Estimate | None = None
    benchmark: Benchmark | None = None
    vs_benchmark: Estimate | None = None
    responder: Estimate | None = None
    responder_vs_benchmark: Estimate | None = None
    reliable: ReliableChangeResult | None = None
    notes: tuple[str, ...] = ()

    def estimates(self) -> list[Estimate]:
        return [
            e
            for e in (
                self.change,
                self.effect,
                self.vs_benchmark,
                self.responder,
                self.responder_vs_benchmark,
            )
            if e is not None
        ]


@dataclass(frozen=True)
class Trajectory:
    arm: str
    measure: str
    measure_label: str
    model: MixedModelResult | None
    note: str = ""


@dataclass(frozen=True)
class BiomarkerPhase:
    arm: str
    analyte: str
    unit: str
    phase: str
    level: Estimate | None
    ratio_to_baseline: Estimate | None
    note: str = ""


@dataclass(frozen=True)
class ProductRow:
    """Outcome and safety of one level of lot, dose band or route, side by side."""

    variable: str
    level: str
    outcome: Estimate | None
    any_ae: Estimate
    serious_ae: Estimate


@dataclass
class ProgramEvidence:
    """The whole program evidence page as result objects."""

    arm: str
    definition_key: str
    definition_text: str
    synthetic: bool
    n_participants: int
    #: Of ``n_participants`` (allocated, in the analysis set), the children with at least one
    #: recorded administration: the population of the safety tables and reports. The page
    #: shows both so the two counts reconcile.
    n_treated: int = 0
    rows: list[PhaseRow] = field(default_factory=list)
    trajectories: list[Trajectory] = field(default_factory=list)
    biomarkers: list[BiomarkerPhase] = field(default_factory=list)
    lloq_handling: str = ""
    durability: DurabilityResult | None = None
    durability_note: str = ""
    subgroups: list[SubgroupResult] = field(default_factory=list)
    subgroup_measure: str = ""
    subgroup_phase: str = ""
    subgroup_n: int = 0
    subgroup_direction: str = ""
    phase_rules: dict[str, str] = field(default_factory=dict)
    products: list[ProductRow] = field(default_factory=list)
    claims: list[ClaimVerdict] = field(default_factory=list)
    claim_notes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: uncontrolled / treated / control: how the selected arm stands to a concurrent control
    role: str = ROLE_UNCONTROLLED
    controlled: ControlledEvidence | None = None

    def all_estimates(self) -> list[Estimate]:
        """Every Estimate on the page, for export and for the "every number has an interval"
        check."""
        out: list[Estimate] = []
        if self.controlled is not None:
            out += self.controlled.estimates()
        for r in self.rows:
            out += r.estimates()
        for t in self.trajectories:
            if t.model is not None:
                out += [*t.model.marginal_means, *t.model.contrasts]
        for b in self.biomarkers:
            out += [e for e in (b.level, b.ratio_to_baseline) if e is not None]
        if self.durability is not None:
            out.append(self.durability.median)
        for s in self.subgroups:
            out += [*s.subgroups, s.overall]
        for p in self.products:
            out += [e for e in (p.outcome, p.any_ae, p.serious_ae) if e is not None]
        for c in self.claims:
            out += [e for e in (c.observed, c.comparison) if e is not None]
        return out

    def as_json(self) -> dict[str, Any]:
        """Every result object as plain data, so a statistician can reproduce each number."""
        return {
            "arm": self.arm,
            "responder_definition": self.definition_text,
            "synthetic": self.synthetic,
            "n_participants": self.n_participants,
            "n_treated": self.n_treated,
            "lloq_handling": self.lloq_handling,
            "phase_summary_rules": dict(self.phase_rules),
            "subgroup_outcome": {
                "quantity": self.subgroup_measure,
                "phase": self.subgroup_phase,
                "n_children": self.subgroup_n,
            },
            "estimates": [_clean(e.as_row()) for e in self.all_estimates()],
            "reliable_change": [
                {"arm": r.arm, "phase": r.phase, **_clean(r.reliable.as_row())}
                for r in self.rows
                if r.reliable is not None
            ],
            "subgroup_tests": [
                {
                    "variable": s.variable,
                    "test": s.test_name,
                    "statistic": _num(s.statistic),
                    "p_value": _num(s.p_value),
                    "caveats": list(s.caveats),
                }
                for s in self.subgroups
            ],
            "claims": [_clean(c.as_row()) for c in self.claims],
            "claim_notes": self.claim_notes,
            "role": self.role,
            "concurrent_control": (
                self.controlled.as_json(_clean) if self.controlled is not None else None
            ),
            "notes": self.notes,
        }


def _num(v: Any) -> Any:
    if isinstance(v, float | np.floating):
        f = float(v)
        return None if math.isnan(f) else (str(f) if math.isinf(f) else f)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    return v


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (list(v) if isinstance(v, tuple) else _num(v)) for k, v in row.items()}
