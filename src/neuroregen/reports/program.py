"""Context of the program and DSMB reports of ONE protocol: one builder feeds the page and PDF.

Numbers come from the evidence analyses (``evidence.analysis`` → ``neuroregen.stats``) and the
safety selectors (DSMB tables, SAE listing, stopping rules), each scoped to the protocol; the
participant flow comes from :mod:`neuroregen.reports.consort`. Outcomes are analysed arm by arm
on the children who received at least one administration — the population the safety tables
count — so a control arm is never pooled with a treated arm, and the report checks that the
counts per arm agree between the flow, the safety tables and the evidence.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from django.utils import timezone
from django.utils.translation import gettext as _

from neuroregen.core.permissions import sites_with
from neuroregen.core.roles import Capability
from neuroregen.core.time import latest_site_today
from neuroregen.evidence import analysis, plots, selectors
from neuroregen.evidence.frames import FOLLOW_UP_PHASES, EvidenceFrames
from neuroregen.evidence.phase_summary import plan_of
from neuroregen.protocols.models import Protocol
from neuroregen.reports import choices as c
from neuroregen.reports import consort, labels

Progress = Callable[[int, int, str], None]


def _no_progress(done: int, total: int, step: str) -> None:
    return None


@dataclass
class ArmEvidence:
    """The outcome analyses of one arm, with its charts (SVG data URIs)."""

    arm: str
    label: str
    is_control: bool
    evidence: analysis.ProgramEvidence
    charts: list[dict[str, str]] = field(default_factory=list)


@dataclass
class ArmCount:
    arm: str
    label: str
    allocated: int
    received: int
    safety_n: int
    in_analysis_frame: int
    analysed: int

    @property
    def agrees(self) -> bool:
        return self.received == self.safety_n


@dataclass
class ProgramReport:
    kind: str
    protocol: Protocol | None
    generated_at: dt.datetime
    cutoff: dt.date
    synthetic: bool
    sites: list[str]
    flow: consort.ConsortFlow
    baseline: list[dict[str, Any]]
    n_analysed: int
    arms: list[ArmEvidence]
    arm_counts: list[ArmCount]
    control_arms: list[str]
    primary_measure: str
    unattributed: list[tuple[str, int]]
    dsmb: Any
    rules: list[Any]
    notes: list[str] = field(default_factory=list)
    #: measure key → its name in the report's language (published wording or catalogue)
    measure_names: dict[str, str] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return str(c.JobKind(self.kind).label)

    @property
    def flow_violations(self) -> list[consort.Violation]:
        return self.flow.violations

    @property
    def count_mismatches(self) -> list[ArmCount]:
        return [row for row in self.arm_counts if not row.agrees]

    @property
    def evidence(self) -> analysis.ProgramEvidence | None:
        """The first arm's evidence (kept for callers that read one)."""
        return self.arms[0].evidence if self.arms else None


def phase_label(code: str) -> str:
    return consort.phase_label(code)


def _count_rows(series: pd.Series, n: int, variable: str) -> list[tuple[str, int, float]]:
    values = series.map(lambda v: labels.level_label(variable, v))
    counts = values.value_counts().sort_index()
    return [(str(k), int(v), 100.0 * v / n if n else 0.0) for k, v in counts.items()]


def baseline_characteristics(participants: pd.DataFrame) -> list[dict[str, Any]]:
    """Counts and percentages of the participants by baseline characteristic (labels, never
    codes)."""
    n = len(participants)
    if n == 0:
        return []
    rows: list[dict[str, Any]] = [
        {"label": _("Age band"), "levels": _count_rows(participants["age_band"], n, "age_band")},
        {
            "label": _("DSM-5 severity level"),
            "levels": _count_rows(participants["severity"], n, "severity"),
        },
        {
            "label": _("Genetic findings"),
            "levels": _count_rows(participants["genetic_finding"], n, "genetic_finding"),
        },
        {"label": _("Product"), "levels": _count_rows(participants["product_type"], n, "product")},
        {"label": _("Route"), "levels": _count_rows(participants["route"], n, "route")},
    ]
    flags = [col for col in participants.columns if col.startswith("comorbid_")]
    rows.append(
        {
            "label": _("Comorbidities"),
            "levels": [
                (
                    labels.comorbidity_label(col.removeprefix("comorbid_")),
                    int(participants[col].astype(bool).sum()),
                    100.0 * participants[col].astype(bool).sum() / n,
                )
                for col in flags
            ],
        }
    )
    ages = participants["age_months"].dropna()
    if len(ages):
        rows.insert(
            0,
            {
                "label": _("Age range (years)"),
                "levels": [
                    (
                        f"{ages.min() / 12:.1f}–{ages.max() / 12:.1f}",
                        len(ages),
                        100.0 * len(ages) / n,
                    )
                ],
            },
        )
    return rows


def svg_data_uri(spec: dict[str, Any]) -> str:
    svg = plots.to_svg(spec)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def keep_children(frames: EvidenceFrames, codes: set[str]) -> EvidenceFrames:
    """The frames restricted to the children in ``codes``."""

    def keep(df: pd.DataFrame) -> pd.DataFrame:
        return df[df["study_code"].isin(codes)] if "study_code" in df.columns else df

    return EvidenceFrames(
        keep(frames.participants),
        keep(frames.outcomes),
        keep(frames.biomarkers),
        keep(frames.adverse_events),
        keep(frames.administrations),
        list(frames.notes),
    )


def primary_measure(outcomes: pd.DataFrame) -> str:
    """The measure the evidence analyses take as primary (ATEC total when present)."""
    scored = [m.measure for m in analysis.measures(outcomes) if m.measure != analysis.CGI_I_MEASURE]
    if "atec.atec_total" in scored:
        return "atec.atec_total"
    return scored[0] if scored else ""


def analysis_status(outcomes: pd.DataFrame, codes: list[str], primary: str) -> dict[str, str]:
    """Per child in the frame: "" when analysed on ``primary`` (a baseline and at least one
    follow-up value), else why not."""
    rows = outcomes[outcomes["measure"] == primary]
    with_baseline = set(rows.loc[rows["baseline_value"].notna(), "study_code"])
    follow_up = rows[rows["phase"].isin(FOLLOW_UP_PHASES) & rows["value"].notna()]
    with_follow_up = set(follow_up["study_code"])
    out = {}
    for code in codes:
        if code not in with_baseline:
            out[code] = _("no baseline value of the primary measure")
        elif code not in with_follow_up:
            out[code] = _("no follow-up value of the primary measure yet")
        else:
            out[code] = ""
    return out


def _phases_with_data(outcomes: pd.DataFrame) -> dict[str, frozenset[str]]:
    rows = outcomes[outcomes["phase"].isin(FOLLOW_UP_PHASES) & outcomes["value"].notna()]
    return {
        code: frozenset(group["phase"]) for code, group in rows.groupby("study_code", sort=False)
    }


def _measure_names(arms: list[ArmEvidence]) -> dict[str, str]:
    names = labels.MeasureNames()
    out: dict[str, str] = {}
    for item in arms:
        rows: list[analysis.PhaseRow | analysis.Trajectory] = [
            *item.evidence.rows,
            *item.evidence.trajectories,
        ]
        for row in rows:
            if row.measure not in out:
                out[row.measure] = names(row.measure, row.measure_label)
    return out


def _arm_charts(
    ev: analysis.ProgramEvidence, arm_label: str, names: dict[str, str]
) -> list[dict[str, str]]:
    charts: list[dict[str, str]] = []
    for t in ev.trajectories:
        # the chart draws the measure's name: give it the name in the report's language
        named = dataclasses.replace(t, measure_label=names.get(t.measure, t.measure_label))
        spec = plots.trajectory_chart(named, ev.synthetic)
        if spec is not None:
            charts.append(
                {
                    "kind": "trajectory",
                    "title": f"{arm_label} · {named.measure_label}",
                    "src": svg_data_uri(spec),
                }
            )
    if ev.durability is not None:
        charts.append(
            {
                "kind": "durability",
                "title": f"{arm_label} · {_('Durability of response')}",
                "src": svg_data_uri(plots.durability_chart(ev.durability, ev.synthetic)),
            }
        )
    for s in ev.subgroups:
        name = labels.variable_label(s.variable)
        spec = plots.forest_chart(
            s,
            ev.synthetic,
            level_label=functools.partial(labels.level_label, s.variable),
            title=f"{name}: {labels.heterogeneity_text(s.p_value)}",
            variable_label=name,
        )
        charts.append({"kind": "forest", "title": s.variable, "src": svg_data_uri(spec)})
    return charts


def build_program_report(
    *,
    user: Any,
    kind: str,
    protocol: Protocol | None,
    progress: Progress = _no_progress,
    with_charts: bool = True,
) -> ProgramReport:
    """Everything the program (or DSMB) report of ``protocol`` shows, for the user's sites."""
    from neuroregen.safety import selectors as safety

    steps = 5
    progress(0, steps, _("Reading the data"))
    frames = selectors.evidence_frames(user=user, protocol=protocol)
    sites = list(sites_with(user, Capability.VIEW).values_list("code", flat=True))
    synthetic = (
        frames.synthetic or sites_with(user, Capability.VIEW).filter(is_synthetic=True).exists()
    )
    primary = primary_measure(frames.outcomes)
    status = analysis_status(frames.outcomes, list(frames.participants["study_code"]), primary)
    records = consort.flow_records(
        user=user,
        protocol=protocol,
        analysed=status,
        data_phases=_phases_with_data(frames.outcomes),
    )
    arm_rows = list(protocol.arms.order_by("code")) if protocol is not None else []
    arm_labels = {a.code: f"{a.code} — {a.name}" for a in arm_rows}
    control_arms = [a.code for a in arm_rows if a.is_control]
    flow = consort.build_flow(records, arms=[a.code for a in arm_rows], arm_labels=arm_labels)
    received = {r.study_code for r in records if r.received}
    treated = keep_children(frames, received)
    baseline = baseline_characteristics(treated.participants)

    progress(1, steps, _("Tabulating safety"))
    dsmb = safety.dsmb_report(user=user, protocol=protocol)
    for event in dsmb.sae_listing:
        # prefetched querysets do not pickle, and the report is kept in the analysis cache
        event.__dict__.pop("_prefetched_objects_cache", None)
    rules = safety.stopping_rule_states(user=user, protocol=protocol)

    arms: list[ArmEvidence] = []
    if kind == c.JobKind.PROGRAM and protocol is not None:
        progress(2, steps, _("Analysing outcomes"))
        for arm in flow.arms:
            if not (treated.participants["arm"] == arm).any():
                continue
            ev = analysis.analyse_program(
                treated,
                arm=arm,
                primary_measure=primary or None,
                control_arms=control_arms,
                plan=plan_of(protocol),
            )
            arms.append(ArmEvidence(arm, arm_labels.get(arm, arm), arm in control_arms, ev))
    names = _measure_names(arms)
    if arms and with_charts:
        progress(3, steps, _("Drawing plots"))
        for item in arms:
            item.charts = _arm_charts(item.evidence, item.label, names)

    # DSMB groups are labelled "protocol · arm"; the flow's arms are codes within a protocol
    safety_n = {g.label: g.n for g in dsmb.groups}

    def group_of(arm: str) -> str:
        return f"{protocol} · {arm}" if protocol is not None else arm

    in_frame = treated.participants.groupby("arm")["study_code"].nunique().to_dict()
    arm_counts = [
        ArmCount(
            arm=arm,
            label=arm_labels.get(arm, arm),
            allocated=flow.box(f"allocated:{arm}").n,
            received=flow.box(f"received:{arm}").n,
            safety_n=int(safety_n.get(group_of(arm), 0)),
            in_analysis_frame=int(in_frame.get(arm, 0)),
            analysed=flow.box(f"analysed:{arm}").n,
        )
        for arm in flow.arms
    ]
    return ProgramReport(
        kind=kind,
        protocol=protocol,
        generated_at=timezone.now(),
        cutoff=latest_site_today(
            sites_with(user, Capability.VIEW).values_list("time_zone", flat=True)
        ),
        synthetic=synthetic,
        sites=sites,
        flow=flow,
        baseline=baseline,
        n_analysed=len(treated.participants),
        arms=arms,
        arm_counts=arm_counts,
        control_arms=control_arms,
        primary_measure=primary,
        unattributed=consort.unattributed(user=user) if protocol is not None else [],
        dsmb=dsmb,
        rules=rules,
        notes=list(frames.notes),
        measure_names=names,
    )
