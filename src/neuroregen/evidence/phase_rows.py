"""Phase summaries of a programme: each measure's row per follow-up phase (change, responder rate,
benchmark), its trajectory over the phases, the biomarkers, and how long responses last.

The follow-up value of a phase is each child's assessment chosen by the protocol's phase
summary rule; durations run from the first follow-up meeting the responder definition to the
first later follow-up that does not (in months of 30.4375 days); biomarker values below LLOQ are
handled by a stated rule (default LLOQ/2).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from django.utils.translation import gettext_noop

from neuroregen.evidence.frames import FOLLOW_UP_PHASES
from neuroregen.evidence.framing import in_change_sign
from neuroregen.evidence.program_evidence import BiomarkerPhase, PhaseRow, Trajectory
from neuroregen.evidence.program_measures import (
    CGI_I_MEASURE,
    DAYS_PER_MONTH,
    MODEL_PHASES,
    RESPONDER_CHOICES,
    MeasureMeta,
    _context,
    _try,
    responder_definition,
)
from neuroregen.stats.benchmark_match import match_rate_benchmark
from neuroregen.stats.benchmarks import (
    NATURAL_HISTORY_VINELAND_CHANGE,
    PLACEBO_CGI_I_RESPONDERS,
    PLACEBO_SMC_CORE,
    PLACEBO_SMC_REPETITIVE,
    PLACEBO_SMC_SOCIAL_COMMUNICATION,
    Benchmark,
    BenchmarkKind,
)
from neuroregen.stats.censored import (
    Handling,
    geometric_mean_lloq,
    geometric_mean_ratio_lloq,
)
from neuroregen.stats.comparators import compare_change_with_benchmark, compare_rate_with_benchmark
from neuroregen.stats.mixed import phase_mixed_model
from neuroregen.stats.reliable_change import reliable_change
from neuroregen.stats.responders import responder_rate
from neuroregen.stats.results import SYNTHETIC, Direction
from neuroregen.stats.text import text, text_join
from neuroregen.stats.within import hedges_g_av, mean_change

__all__ = [
    "RANDOM_SLOPE_MAX_PARTICIPANTS",
    "response_durations",
]


#: Random slopes are tried up to this many participants; beyond, the random-intercept model is
#: fitted directly (the page says which model was used). A random-slope fit costs about 0.1 s
#: per measure at 2 000 children and 0.25 s at 10 000 (stats/_slope.py), which at registry
#: scale would double the page's first view.
RANDOM_SLOPE_MAX_PARTICIPANTS = 2000


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
    reliability = meta.reliability
    if reliability is not None:
        rc = _try(
            lambda: reliable_change(
                base,
                follow,
                reliability=reliability,
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
