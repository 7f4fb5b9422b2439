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

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from neuroregen.evidence.claims_panel import CONTROL_ARM_NOTE, program_claims
from neuroregen.evidence.controlled import (
    ROLE_CONTROL,
    ROLE_UNCONTROLLED,
    ControlledEvidence,
    analyse_controlled,
    arm_role,
)
from neuroregen.evidence.frames import FOLLOW_UP_PHASES, EvidenceFrames
from neuroregen.evidence.framing import in_change_sign
from neuroregen.evidence.phase_summary import DEFAULT_PLAN, AnalysisPlan, phase_values
from neuroregen.stats._common import InsufficientDataError
from neuroregen.stats.benchmark_match import match_rate_benchmark
from neuroregen.stats.censored import (
    LLOQ_HANDLING,
    Handling,
    geometric_mean_lloq,
    geometric_mean_ratio_lloq,
)
from neuroregen.stats.claims import ClaimVerdict
from neuroregen.stats.comparators import (
    NATURAL_HISTORY_VINELAND_CHANGE,
    PLACEBO_CGI_I_RESPONDERS,
    PLACEBO_SMC_CORE,
    PLACEBO_SMC_REPETITIVE,
    PLACEBO_SMC_SOCIAL_COMMUNICATION,
    Benchmark,
    BenchmarkKind,
    compare_change_with_benchmark,
    compare_rate_with_benchmark,
)
from neuroregen.stats.durability import DurabilityResult, durability
from neuroregen.stats.mixed import MixedModelResult, phase_mixed_model
from neuroregen.stats.proportions import ResponderDefinition, responder_rate
from neuroregen.stats.reliable_change import ReliableChangeResult, reliable_change
from neuroregen.stats.results import CAREGIVER_RATED, SYNTHETIC, Direction, Estimate
from neuroregen.stats.safety_rules import proportion_exact
from neuroregen.stats.subgroups import SubgroupResult, overall_estimate, subgroup_analysis
from neuroregen.stats.text import Text, text, text_join
from neuroregen.stats.within import hedges_g_av, mean_change

__all__ = [
    "CGI_I_MEASURE",
    "RESPONDER_CHOICES",
    "PhaseRow",
    "ProgramEvidence",
    "analyse_program",
    "responder_definition",
]

CGI_I_MEASURE = "cgi_i.cgi_i"
DAYS_PER_MONTH = 30.4375
MODEL_PHASES: tuple[str, ...] = ("baseline", "early", "mid", "late", "long_term")
SUBGROUP_VARIABLES: tuple[tuple[str, str], ...] = (
    ("age_band", text("age band")),
    ("severity", text("DSM-5 severity")),
    ("syndrome_group", text("genetic syndrome")),
    ("comorbidity_group", text("comorbidity")),
    ("product_type", text("product")),
    ("lot", text("lot")),
    ("dose_band", text("dose band")),
    ("route", text("route")),
)
#: Lots with fewer participants are pooled into one level (``SMALL_LOTS``) for the lot
#: subgroups and the table by lot.
LOT_MIN_PARTICIPANTS = 5
SMALL_LOTS = text("other lots (each < 5 participants)")
#: Random slopes are tried up to this many participants; beyond, the random-intercept model is
#: fitted directly (the page says which model was used). A random-slope fit costs about 0.1 s
#: per measure at 2 000 children and 0.25 s at 10 000 (stats/_slope.py), which at registry
#: scale would double the page's first view.
RANDOM_SLOPE_MAX_PARTICIPANTS = 2000


@dataclass(frozen=True)
class ResponderChoice:
    """An entry of the responder-definition chooser on the evidence page."""

    key: str
    label: str
    uses_cgi: bool
    build: Callable[[str, Direction, float | None, bool], ResponderDefinition]


def _reliable(label: str, d: Direction, r: float | None, prov: bool) -> ResponderDefinition:
    if r is None or not 0 < r < 1:
        raise ValueError(f"{label} has no reliability: reliable change is not available")
    return ResponderDefinition.reliable_improvement(label, d, r, provisional=prov)


RESPONDER_CHOICES: dict[str, ResponderChoice] = {
    c.key: c
    for c in (
        ResponderChoice(
            "cgi_i_2",
            text("CGI-I ≤ 2 (much or very much improved)"),
            True,
            lambda *_: ResponderDefinition.cgi_i(2),
        ),
        ResponderChoice(
            "cgi_i_3",
            text("CGI-I ≤ 3 (at least minimally improved)"),
            True,
            lambda *_: ResponderDefinition.cgi_i(3),
        ),
        ResponderChoice(
            "pct25",
            text("≥ 25 % improvement from baseline"),
            False,
            lambda lab, d, r, p: ResponderDefinition.percent_improvement(lab, d),
        ),
        ResponderChoice(
            "reliable", text("reliable improvement (Jacobson–Truax)"), False, _reliable
        ),
        ResponderChoice(
            "any",
            text("any improvement"),
            False,
            lambda lab, d, r, p: ResponderDefinition.any_improvement(lab, d),
        ),
    )
}
DEFAULT_RESPONDER = "cgi_i_2"


def responder_definition(key: str, meta: MeasureMeta | None = None) -> ResponderDefinition:
    """The ResponderDefinition for a chooser key (score-based keys need the measure)."""
    if key not in RESPONDER_CHOICES:
        raise ValueError(f"unknown responder definition {key!r}")
    choice = RESPONDER_CHOICES[key]
    if choice.uses_cgi:
        return choice.build("CGI-I", Direction.HIGHER_IS_WORSE, None, True)
    if meta is None:
        raise ValueError(f"the {key} definition needs a measure")
    return choice.build(meta.label, meta.direction, meta.reliability, meta.provisional)


@dataclass(frozen=True)
class MeasureMeta:
    measure: str
    label: str
    instrument: str
    domain: str
    direction: Direction
    reliability: float | None
    provisional: bool
    caregiver_rated: bool


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


# --- shaping helpers -----------------------------------------------------------------------


def measures(outcomes: pd.DataFrame) -> list[MeasureMeta]:
    """The measures present, in order of first appearance, with their metadata."""
    out: list[MeasureMeta] = []
    if outcomes.empty:
        return out
    first = outcomes.drop_duplicates("measure")
    parent = (outcomes["respondent"] == "parent").groupby(outcomes["measure"]).any()
    for row in first.itertuples(index=False):
        r = row.reliability
        out.append(
            MeasureMeta(
                measure=row.measure,
                label=row.measure_label,
                instrument=row.instrument,
                domain=row.domain or "",
                direction=Direction(row.direction),
                reliability=None
                if r is None or (isinstance(r, float) and math.isnan(r))
                else float(r),
                provisional=bool(row.reliability_provisional),
                caregiver_rated=bool(parent.get(row.measure, False)),
            )
        )
    return out


def _last_of_each(rows: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The last row of each group of ``keys`` in the rows' order, rows with a missing key left
    out: ``rows.groupby(keys).tail(1)`` without building the groups (called for every measure
    and phase)."""
    if any(rows[key].hasnans for key in keys):
        rows = rows.dropna(subset=keys)
    repeated = (
        rows[keys[0]].duplicated(keep="last")
        if len(keys) == 1
        else rows.duplicated(keys, keep="last")
    )
    return rows[~repeated.to_numpy()]


def _benchmark_for(meta: MeasureMeta) -> Benchmark | None:
    if meta.instrument.startswith("vineland"):
        return NATURAL_HISTORY_VINELAND_CHANGE
    if meta.direction is not Direction.HIGHER_IS_WORSE or meta.measure == CGI_I_MEASURE:
        return None
    if meta.domain == "social":
        return PLACEBO_SMC_SOCIAL_COMMUNICATION
    if meta.domain == "stereotypy":
        return PLACEBO_SMC_REPETITIVE
    return PLACEBO_SMC_CORE


def _context(meta_caregiver: bool, synthetic: bool) -> tuple[str, ...]:
    return tuple(c for c, on in ((CAREGIVER_RATED, meta_caregiver), (SYNTHETIC, synthetic)) if on)


def _try(fn: Callable[[], Any], notes: list[str], what: str) -> Any:
    try:
        return fn()
    except (InsufficientDataError, ValueError, RuntimeError) as exc:
        # the reason stays a Text when the stats raised one, so the page can translate it
        reason = exc.args[0] if exc.args and isinstance(exc.args[0], Text) else str(exc)
        notes.append(text("{what}: not estimable ({reason})", what=text(what), reason=reason))
        return None


# --- program analyses ----------------------------------------------------------------------


def _score_row(
    arm: str,
    meta: MeasureMeta,
    phase: str,
    data: pd.DataFrame,
    key: str,
    synthetic: bool,
    confidence: float,
    benchmarks: bool = True,
) -> PhaseRow:
    notes: list[str] = []
    ctx = _context(meta.caregiver_rated, synthetic)
    base, follow = data["baseline_value"].to_numpy(float), data["value"].to_numpy(float)
    label = f"{meta.label}, {phase}"
    change = _try(
        lambda: mean_change(
            base, follow, direction=meta.direction, label=label, confidence=confidence
        ),
        notes,
        gettext_noop("mean change"),
    )
    effect = _try(
        lambda: hedges_g_av(
            base, follow, direction=meta.direction, label=label, confidence=confidence
        ),
        notes,
        gettext_noop("standardized effect"),
    )
    if change is not None:
        change = change.with_caveats(*ctx)
    if effect is not None:
        effect = effect.with_caveats(*ctx)
    # published benchmarks stand in only where there is no concurrent control
    bench = _benchmark_for(meta) if benchmarks else None
    vs = None
    if bench is not None:
        observed = change if bench.kind is BenchmarkKind.MEAN_CHANGE else effect
        if observed is not None:
            # in the sign of the change (observed − benchmark), not as "extra improvement"
            vs = _try(
                lambda: in_change_sign(
                    compare_change_with_benchmark(observed, bench), meta.direction, bench
                ),
                notes,
                gettext_noop("benchmark"),
            )
    responder = resp_vs = None
    choice = RESPONDER_CHOICES[key]
    if not choice.uses_cgi:
        definition = _try(
            lambda: responder_definition(key, meta), notes, gettext_noop("responder definition")
        )
        if definition is not None:
            responder = _try(
                lambda: responder_rate(
                    definition, baseline=base, follow_up=follow, confidence=confidence, caveats=ctx
                ),
                notes,
                gettext_noop("responder rate"),
            )
            match = match_rate_benchmark(PLACEBO_CGI_I_RESPONDERS, definition.describe())
            if responder is not None and benchmarks and match.matches:
                resp_vs = compare_rate_with_benchmark(responder, PLACEBO_CGI_I_RESPONDERS)
            elif responder is not None and benchmarks:
                notes.append(match.reason)
    rc = None
    if meta.reliability is not None:
        rc = _try(
            lambda: reliable_change(
                base,
                follow,
                reliability=meta.reliability,
                direction=meta.direction,
                provisional=meta.provisional,
                measure=meta.label,
                participants=data["study_code"].to_numpy(),
            ),
            notes,
            gettext_noop("reliable change"),
        )
    else:
        notes.append(
            text(
                "no reliability recorded for {measure}: reliable change not computed",
                measure=meta.label,
            )
        )
    return PhaseRow(
        arm,
        meta.measure,
        meta.label,
        phase,
        meta.direction.value,
        change,
        effect,
        bench,
        vs,
        responder,
        resp_vs,
        rc,
        tuple(notes),
    )


def _cgi_row(
    arm: str,
    phase: str,
    data: pd.DataFrame,
    key: str,
    synthetic: bool,
    confidence: float,
    benchmarks: bool = True,
) -> PhaseRow:
    notes: list[str] = []
    definition = responder_definition(key)
    responder = _try(
        lambda: responder_rate(
            definition,
            cgi_i=data["value"].to_numpy(float),
            confidence=confidence,
            caveats=_context(False, synthetic),
        ),
        notes,
        gettext_noop("responder rate"),
    )
    bench = PLACEBO_CGI_I_RESPONDERS if benchmarks else None
    vs = None
    if responder is not None and bench is not None:
        match = match_rate_benchmark(bench, definition.describe())
        if match.matches:
            vs = compare_rate_with_benchmark(responder, bench)
        else:
            notes.append(match.reason)
    return PhaseRow(
        arm,
        CGI_I_MEASURE,
        "CGI-I",
        phase,
        Direction.HIGHER_IS_WORSE.value,
        responder=responder,
        responder_vs_benchmark=vs,
        benchmark=bench,
        notes=(*notes, text("CGI-I rates change itself: no baseline, no change score")),
    )


def _trajectory(
    arm: str, meta: MeasureMeta, outcomes: pd.DataFrame, synthetic: bool, confidence: float
) -> Trajectory:
    keep = (
        (outcomes["measure"] == meta.measure)
        & outcomes["phase"].isin(MODEL_PHASES)
        & outcomes["value"].notna()
    )
    rows = outcomes.loc[keep, ["study_code", "phase", "value", "study_day"]]
    seen = set(rows["phase"].unique())
    phases = [p for p in MODEL_PHASES if p in seen]
    # children as integers numbered in order of appearance: the fit groups them the same way
    # as by study code, without hashing text for every observation
    child, codes = pd.factorize(rows["study_code"])
    data = pd.DataFrame(
        {
            "child": child,
            "phase": rows["phase"].array,
            "value": rows["value"].to_numpy(),
            "months": rows["study_day"].to_numpy() / DAYS_PER_MONTH,
        }
    )
    n = len(codes)
    notes: list[str] = []
    model = _try(
        lambda: phase_mixed_model(
            data,
            participant="child",
            phase="phase",
            score="value",
            time="months",
            phases=phases,
            random_slope=n <= RANDOM_SLOPE_MAX_PARTICIPANTS,
            quantity=meta.label,
            direction=meta.direction,
            confidence=confidence,
            caveats=_context(meta.caregiver_rated, synthetic),
        ),
        notes,
        gettext_noop("mixed model"),
    )
    note = text_join(notes)
    if model is not None and n > RANDOM_SLOPE_MAX_PARTICIPANTS:
        note = text(
            "random-intercept model fitted directly (more than {n} participants)",
            n=RANDOM_SLOPE_MAX_PARTICIPANTS,
        )
    return Trajectory(arm, meta.measure, meta.label, model, note)


def _biomarkers(
    arm: str, bio: pd.DataFrame, handling: Handling, synthetic: bool, confidence: float
) -> list[BiomarkerPhase]:
    out: list[BiomarkerPhase] = []
    ctx = (SYNTHETIC,) if synthetic else ()
    for analyte, rows in bio.groupby("analyte", sort=True):
        unit = str(rows["unit"].dropna().iloc[0]) if rows["unit"].notna().any() else ""
        last = _last_of_each(rows.sort_values("study_day"), ["study_code", "phase"])
        # each phase's rows in their order, split once
        by_phase = dict(tuple(last.groupby("phase", sort=False)))
        base = by_phase.get("baseline", last.iloc[0:0])
        for phase in ("baseline", *FOLLOW_UP_PHASES):
            part = by_phase.get(phase)
            if part is None or part.empty:
                continue
            notes: list[str] = []
            level = _try(
                lambda p=part, a=str(analyte), u=unit: geometric_mean_lloq(
                    p["value"],
                    p["below_lloq"],
                    p["lloq"],
                    handling=handling,
                    confidence=confidence,
                    label=a,
                    unit=u,
                    caveats=ctx,
                ),
                notes,
                gettext_noop("geometric mean"),
            )
            ratio = None
            if phase != "baseline":
                paired = _with_baseline(part, base)
                ratio = _try(
                    lambda p=paired, a=str(analyte): geometric_mean_ratio_lloq(
                        p["value_b"],
                        p["below_lloq_b"],
                        p["value"],
                        p["below_lloq"],
                        p["lloq"],
                        handling=handling,
                        confidence=confidence,
                        label=a,
                        caveats=ctx,
                    ),
                    notes,
                    gettext_noop("ratio to baseline"),
                )
            out.append(
                BiomarkerPhase(arm, str(analyte), unit, phase, level, ratio, "; ".join(notes))
            )
    return out


def _with_baseline(part: pd.DataFrame, base: pd.DataFrame) -> pd.DataFrame:
    """The children of ``part`` who have a baseline row (one each), in ``part``'s order: their
    value, flag and LLOQ, and the baseline's value and flag as ``value_b``, ``below_lloq_b``
    (the inner join on study code, without building a join)."""
    at = pd.Index(base["study_code"]).get_indexer(part["study_code"])
    found = at >= 0
    return pd.DataFrame(
        {
            "value_b": base["value"].to_numpy()[at[found]],
            "below_lloq_b": base["below_lloq"].to_numpy()[at[found]],
            "value": part["value"].to_numpy()[found],
            "below_lloq": part["below_lloq"].to_numpy()[found],
            "lloq": part["lloq"].to_numpy()[found],
        }
    )


def responder_status(outcomes: pd.DataFrame, key: str, primary: str) -> pd.DataFrame:
    """Responder status (1/0/NaN) at every follow-up visit, one row per child × visit."""
    choice = RESPONDER_CHOICES[key]
    measure = CGI_I_MEASURE if choice.uses_cgi else primary
    rows = outcomes[(outcomes["measure"] == measure) & outcomes["phase"].isin(FOLLOW_UP_PHASES)]
    rows = rows.sort_values(["study_code", "study_day"])
    if rows.empty:
        return rows.assign(responder=pd.Series(dtype=float))
    if choice.uses_cgi:
        status = responder_definition(key).apply(cgi_i=rows["value"].to_numpy(float))
    else:
        meta = next(m for m in measures(rows))
        status = responder_definition(key, meta).apply(
            baseline=rows["baseline_value"].to_numpy(float), follow_up=rows["value"].to_numpy(float)
        )
    return rows.assign(responder=status)


def response_durations(status: pd.DataFrame) -> pd.DataFrame:
    """Time (months) from first response to loss of response, or to the last visit (censored).

    ``status`` is ordered by child and study day (``responder_status``); children come out in
    their order of first appearance. Vectorised over children: a loop over ten thousand
    children's groups took tens of seconds.
    """
    rows = status.dropna(subset=["responder"])
    columns = ["study_code", "months", "event"]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    child, codes = pd.factorize(rows["study_code"])
    flags = rows["responder"].to_numpy(float)
    days = rows["study_day"].to_numpy(float)
    pos = np.arange(len(rows))
    none = len(rows)  # "no such visit" sentinel, larger than every position

    def first(mask: np.ndarray) -> np.ndarray:
        out = np.full(len(codes), none)
        np.minimum.at(out, child[mask], pos[mask])
        return out

    start = first(flags == 1.0)
    lost = first((flags == 0.0) & (pos > start[child]))
    last = np.zeros(len(codes), dtype=int)
    np.maximum.at(last, child, pos)
    responded = start < none
    start, lost, last = start[responded], lost[responded], last[responded]
    event = lost < none
    end = np.where(event, days[np.where(event, lost, 0)], days[last])
    return pd.DataFrame(
        {
            "study_code": np.asarray(codes, dtype=object)[responded],
            "months": (end - days[start]) / DAYS_PER_MONTH,
            "event": event.astype(int),
        },
        columns=columns,
    )


def _per_child_outcome(
    outcomes: pd.DataFrame, primary: str, phase: str, plan: AnalysisPlan = DEFAULT_PLAN
) -> pd.DataFrame:
    data = phase_values(outcomes, primary, phase, plan)
    return data.assign(change=data["value"] - data["baseline_value"])


def _subgroup_frame(participants: pd.DataFrame) -> pd.DataFrame:
    frame = participants.copy()
    frame["syndrome_group"] = np.where(
        frame["syndrome"].fillna("") != "",
        frame["syndrome"],
        frame["genetic_finding"].fillna("unknown"),
    )
    flags = [c for c in frame.columns if c.startswith("comorbid_")]
    names = [c.removeprefix("comorbid_") for c in flags]
    count = frame[flags].astype(bool).sum(axis=1) if flags else pd.Series(0, index=frame.index)
    first = (
        frame[flags].astype(bool).idxmax(axis=1).str.removeprefix("comorbid_")
        if flags
        else pd.Series("", index=frame.index)
    )
    frame["comorbidity_group"] = np.where(count == 0, "none", np.where(count > 1, "several", first))
    del names
    # Autologous products make a lot per child: thousands of one-child lots give a table
    # nobody can read and estimates that are all interval. Small lots are pooled, and said so.
    size = frame.groupby("lot", dropna=True)["study_code"].transform("nunique")
    frame["lot"] = frame["lot"].where(size.isna() | (size >= LOT_MIN_PARTICIPANTS), SMALL_LOTS)
    return frame


def _pooled_lots_note(participants: pd.DataFrame) -> str | None:
    size = participants.groupby("lot", dropna=True)["study_code"].nunique()
    small = size[size < LOT_MIN_PARTICIPANTS]
    if small.empty:
        return None
    return text(
        "{lots} lots with fewer than {min} participants each ({n} participants) are pooled as "
        "“{pooled}” in the lot subgroups and in the table by lot",
        lots=len(small),
        min=LOT_MIN_PARTICIPANTS,
        n=int(small.sum()),
        pooled=SMALL_LOTS,
    )


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


#: Fewer children with the outcome than this give subgroup estimates that are all interval.
SUBGROUP_MIN_CHILDREN = 10


def _subgroups_and_products(
    ev: ProgramEvidence,
    outcomes: pd.DataFrame,
    meta: MeasureMeta,
    sub_frame: pd.DataFrame,
    aes: pd.DataFrame,
    plan: AnalysisPlan,
    confidence: float,
) -> None:
    """Subgroups and the table by lot, dose and route, on the primary outcome and phase."""
    phase = plan.primary_phase
    change = _per_child_outcome(outcomes, meta.measure, phase, plan)
    merged = change.merge(sub_frame, on="study_code", suffixes=("", "_p"))
    n = int(merged["study_code"].nunique())
    ev.subgroup_phase = phase
    ev.subgroup_n = n
    ev.subgroup_direction = meta.direction.value
    ev.subgroup_measure = _("change in %(measure)s (%(phase)s − baseline, %(rule)s)") % {
        "measure": meta.label,
        "phase": phase,
        "rule": plan.describe(phase),
    }
    ctx = _context(meta.caregiver_rated, ev.synthetic)
    if n < SUBGROUP_MIN_CHILDREN:
        ev.notes.append(
            _(
                "Subgroups: too few children with the primary outcome at the primary phase "
                "(n = %(n)s children; at least %(min)s needed)."
            )
            % {"n": n, "min": SUBGROUP_MIN_CHILDREN}
        )
    else:
        for column, words in SUBGROUP_VARIABLES:
            res = _try(
                lambda c=column, w=words: subgroup_analysis(
                    merged.assign(**{c: merged[c].astype("string").astype(object)}),
                    outcome="change",
                    subgroup=c,
                    quantity=ev.subgroup_measure,
                    variable_label=w,
                    confidence=confidence,
                    caveats=ctx,
                ),
                ev.notes,
                _("subgroups by %(variable)s (n = %(n)s children)") % {"variable": words, "n": n},
            )
            if res is not None:
                ev.subgroups.append(res)
    ev.products = _products(merged, sub_frame, aes, ev.subgroup_measure, ctx, confidence)


def _products(
    merged: pd.DataFrame,
    participants: pd.DataFrame,
    aes: pd.DataFrame,
    quantity: str,
    ctx: tuple[str, ...],
    confidence: float,
) -> list[ProductRow]:
    """Outcome and safety by lot, dose band and route.

    Counted per variable in one grouping each: with autologous products there are hundreds of
    lot levels, and a frame per level took longer than every other analysis together.
    """
    out: list[ProductRow] = []
    with_ae = participants["study_code"].isin(set(aes["study_code"]))
    with_sae = participants["study_code"].isin(
        set(aes.loc[aes["serious"].astype(bool), "study_code"])
    )
    flags = participants[["study_code"]].assign(ae=with_ae, sae=with_sae)
    for variable in ("lot", "dose_band", "route"):
        # distinct children per level (a child counted once however many rows it has)
        people = flags.assign(level=participants[variable]).dropna(subset=["level"])
        people = people.drop_duplicates(["level", "study_code"])
        counts = people.groupby("level", sort=True)[["ae", "sae"]].agg(["size", "sum"])
        # each level's changes in frame order (a child without a follow-up value at that
        # phase has a row but no change)
        changes = {
            level: values.to_numpy(dtype=float)
            for level, values in merged["change"].groupby(merged[variable], sort=False)
        }
        for level, n, n_ae, n_sae in zip(
            counts.index,
            counts[("ae", "size")],
            counts[("ae", "sum")],
            counts[("sae", "sum")],
            strict=True,
        ):
            values = changes.get(level, _NO_VALUES)
            outcome = None
            if np.count_nonzero(~np.isnan(values)) >= 2:
                outcome = overall_estimate(
                    values, quantity=quantity, confidence=confidence, caveats=ctx
                )
            out.append(
                ProductRow(
                    variable,
                    str(level),
                    outcome,
                    proportion_exact(
                        int(n_ae),
                        int(n),
                        confidence=confidence,
                        quantity=f"participants with any AE, {variable} = {level}",
                        caveats=ctx,
                    ),
                    proportion_exact(
                        int(n_sae),
                        int(n),
                        confidence=confidence,
                        quantity=f"participants with a serious AE, {variable} = {level}",
                        caveats=ctx,
                    ),
                )
            )
    return out


_NO_VALUES = np.empty(0)


def arms_of(frames: EvidenceFrames) -> Sequence[str]:
    return sorted(a for a in frames.participants["arm"].dropna().unique())
