"""Context of the program and DSMB reports: one builder feeds the web page and the PDF.

Numbers come from the evidence analyses (``evidence.analysis`` → ``neuroregen.stats``) and the
safety selectors (DSMB tables, SAE listing, stopping rules); this module only counts people for
the flow diagram and tabulates baseline characteristics (counts, never estimates).
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from neuroregen.core.permissions import sites_with
from neuroregen.core.roles import Capability
from neuroregen.evidence import analysis, plots, selectors
from neuroregen.evidence.frames import FOLLOW_UP_PHASES, EvidenceFrames
from neuroregen.evidence.phase_summary import plan_of
from neuroregen.participants.choices import ParticipantStatus
from neuroregen.participants.models import Participant, Withdrawal
from neuroregen.products.models import Administration
from neuroregen.protocols.models import Protocol
from neuroregen.reports import choices as c

Progress = Callable[[int, int, str], None]


def _no_progress(done: int, total: int, step: str) -> None:
    return None


@dataclass
class FlowBox:
    key: str
    label: str
    n: int
    details: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class ProgramReport:
    kind: str
    protocol: Protocol | None
    generated_at: dt.datetime
    cutoff: dt.date
    synthetic: bool
    sites: list[str]
    flow: list[FlowBox]
    baseline: list[dict[str, Any]]
    n_analysed: int
    evidence: analysis.ProgramEvidence | None
    charts: list[dict[str, str]]
    dsmb: Any
    rules: list[Any]
    notes: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return str(c.JobKind(self.kind).label)


def participant_flow(
    *, user: Any, protocol: Protocol | None, frames: EvidenceFrames
) -> list[FlowBox]:
    """Screened → excluded (with reasons) → enrolled → assigned → treated → followed up per
    phase → withdrawn, for the participants the user may see."""
    people = Participant.objects.for_user(user)
    screened = people.count()
    failed = people.filter(status=ParticipantStatus.SCREEN_FAILED)
    reasons = [
        (row["screen_fail_reason"] or _("reason not recorded"), row["n"])
        for row in failed.values("screen_fail_reason")
        .annotate(n=Count("pk"))
        .order_by("-n", "screen_fail_reason")
    ]
    enrolled = people.filter(enrolled_on__isnull=False).count()
    analysed = set(frames.participants["study_code"])
    treated_qs = Administration.objects.for_user(user)
    if protocol is not None:
        treated_qs = treated_qs.filter(participant__assignments__protocol=protocol)
    treated = treated_qs.values("participant_id").distinct().count()
    withdrawals = Withdrawal.objects.for_user(user)
    by_scope = [
        (str(Withdrawal(scope=row["scope"]).get_scope_display()), row["n"])
        for row in withdrawals.values("scope")
        .annotate(n=Count("participant", distinct=True))
        .order_by("scope")
    ]
    boxes = [
        FlowBox("screened", _("Screened"), screened),
        FlowBox("excluded", _("Excluded at screening"), failed.count(), reasons),
        FlowBox("enrolled", _("Enrolled"), enrolled),
        FlowBox("assigned", _("Assigned and analysed"), len(analysed)),
        FlowBox("treated", _("Treated (at least one administration)"), treated),
    ]
    outcomes = frames.outcomes
    for phase in FOLLOW_UP_PHASES:
        n = int(outcomes.loc[outcomes["phase"] == phase, "study_code"].nunique())
        boxes.append(
            FlowBox(
                f"followed_{phase}", _("Followed up: %(phase)s") % {"phase": phase_label(phase)}, n
            )
        )
    boxes.append(
        FlowBox(
            "withdrawn",
            _("Withdrawn"),
            withdrawals.values("participant").distinct().count(),
            by_scope,
        )
    )
    return boxes


def phase_label(code: str) -> str:
    from neuroregen.visits.choices import Phase

    try:
        return str(Phase(code).label)
    except ValueError:
        return code


def _count_rows(series: pd.Series, n: int) -> list[tuple[str, int, float]]:
    counts = series.fillna(_("not recorded")).astype(str).value_counts().sort_index()
    return [(str(k), int(v), 100.0 * v / n if n else 0.0) for k, v in counts.items()]


def baseline_characteristics(participants: pd.DataFrame) -> list[dict[str, Any]]:
    """Counts and percentages of the analysed participants by baseline characteristic."""
    n = len(participants)
    if n == 0:
        return []
    rows: list[dict[str, Any]] = [
        {"label": _("Age band"), "levels": _count_rows(participants["age_band"], n)},
        {
            "label": _("DSM-5 severity level"),
            "levels": _count_rows(
                participants["severity"]
                .map(lambda v: "" if pd.isna(v) else str(int(v)))
                .replace("", None),
                n,
            ),
        },
        {"label": _("Genetic findings"), "levels": _count_rows(participants["genetic_finding"], n)},
        {"label": _("Product"), "levels": _count_rows(participants["product_type"], n)},
        {"label": _("Route"), "levels": _count_rows(participants["route"], n)},
    ]
    flags = [col for col in participants.columns if col.startswith("comorbid_")]
    rows.append(
        {
            "label": _("Comorbidities"),
            "levels": [
                (
                    col.removeprefix("comorbid_"),
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


def build_program_report(
    *,
    user: Any,
    kind: str,
    protocol: Protocol | None,
    progress: Progress = _no_progress,
    with_charts: bool = True,
) -> ProgramReport:
    """Everything the program (or DSMB) report shows, for the sites the user may see."""
    from neuroregen.safety import selectors as safety

    steps = 5
    progress(0, steps, _("Reading the data"))
    frames = selectors.evidence_frames(user=user, protocol=protocol)
    sites = list(sites_with(user, Capability.VIEW).values_list("code", flat=True))
    synthetic = (
        frames.synthetic or sites_with(user, Capability.VIEW).filter(is_synthetic=True).exists()
    )
    flow = participant_flow(user=user, protocol=protocol, frames=frames)
    baseline = baseline_characteristics(frames.participants)
    evidence = None
    charts: list[dict[str, str]] = []
    if kind == c.JobKind.PROGRAM:
        progress(1, steps, _("Analysing outcomes"))
        evidence = analysis.analyse_program(frames, plan=plan_of(protocol))
        if with_charts:
            progress(2, steps, _("Drawing plots"))
            for t in evidence.trajectories:
                spec = plots.trajectory_chart(t, evidence.synthetic)
                if spec is not None:
                    charts.append({"title": t.measure_label, "src": svg_data_uri(spec)})
    progress(3, steps, _("Tabulating safety"))
    dsmb = safety.dsmb_report(user=user)
    rules = safety.stopping_rule_states(user=user)
    return ProgramReport(
        kind=kind,
        protocol=protocol,
        generated_at=timezone.now(),
        cutoff=timezone.localdate(),
        synthetic=synthetic,
        sites=sites,
        flow=flow,
        baseline=baseline,
        n_analysed=len(frames.participants),
        evidence=evidence,
        charts=charts,
        dsmb=dsmb,
        rules=rules,
        notes=list(frames.notes),
    )
