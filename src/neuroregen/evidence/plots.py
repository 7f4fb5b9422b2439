"""Vega-Lite specs (altair) for the evidence pages; the same specs render to SVG for PDFs.

Every plot of an effect draws its interval; plots of synthetic data carry a watermark. Specs
are plain dicts (``chart_spec``) placed in ``<script type="application/json">`` blocks and
embedded by ``static/neuroregen/evidence-charts.js`` with the CSP-safe Vega interpreter.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from neuroregen.evidence.analysis import ChildEvidence, Trajectory
from neuroregen.stats.durability import DurabilityResult
from neuroregen.stats.subgroups import SubgroupResult

__all__ = [
    "FONT",
    "chart_spec",
    "child_timeline_chart",
    "durability_chart",
    "forest_chart",
    "to_svg",
    "trajectory_chart",
]

FONT = "DejaVu Sans"
WIDTH, HEIGHT = 420, 220
PHASE_ORDER = ["baseline", "early", "mid", "late", "long_term"]
PHASE_COLOURS = {
    "baseline": "#adb5bd",
    "administration": "#6f42c1",
    "early": "#0d6efd",
    "mid": "#20c997",
    "late": "#fd7e14",
    "long_term": "#6c757d",
}


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-safe rows (NaN and infinities become null)."""
    clean = df.replace([np.inf, -np.inf], np.nan).astype(object)
    return clean.where(clean.notna(), None).to_dict(orient="records")


def _watermark(width: int, height: int) -> alt.Chart:
    return (
        alt.Chart(alt.Data(values=[{"t": "SYNTHETIC DATA"}]))
        .mark_text(fontSize=30, opacity=0.18, color="#dc3545", angle=340, fontWeight="bold")
        .encode(text="t:N", x=alt.value(width / 2), y=alt.value(height / 2))
    )


def _finish(chart: Any, synthetic: bool, width: int = WIDTH, height: int = HEIGHT) -> Any:
    if synthetic:
        chart = alt.layer(chart, _watermark(width, height))
    return chart.configure(font=FONT).configure_view(strokeWidth=0)


def chart_spec(chart: Any) -> dict[str, Any]:
    """The Vega-Lite spec as a dict (what the page embeds and vl-convert renders)."""
    spec: dict[str, Any] = chart.to_dict(validate=False)
    return spec


def to_svg(spec: dict[str, Any]) -> str:
    """Render a Vega-Lite spec to SVG offline (vl-convert), for PDF reports."""
    import vl_convert

    svg: str = vl_convert.vegalite_to_svg(spec)
    return svg


def trajectory_chart(traj: Trajectory, synthetic: bool) -> dict[str, Any] | None:
    """Estimated marginal means by phase with their intervals (band and error bars)."""
    if traj.model is None:
        return None
    df = pd.DataFrame(
        [
            {
                "phase": e.details["phase"],
                "estimate": e.estimate,
                "low": e.ci_low,
                "high": e.ci_high,
                "n": e.n,
            }
            for e in traj.model.marginal_means
        ]
    )
    data = alt.Data(values=_records(df))
    order = [p for p in PHASE_ORDER if p in set(df["phase"])]
    x = alt.X("phase:N", sort=order, title="phase")
    base = alt.Chart(data)
    band = base.mark_area(opacity=0.2, color="#0d6efd").encode(
        x=x,
        y=alt.Y("low:Q", title=f"{traj.measure_label} (model mean)", scale=alt.Scale(zero=False)),
        y2="high:Q",
    )
    bars = base.mark_errorbar(ticks=True).encode(x=x, y="low:Q", y2="high:Q")
    line = base.mark_line(point=True).encode(
        x=x,
        y="estimate:Q",
        tooltip=[
            "phase:N",
            alt.Tooltip("estimate:Q", format=".2f"),
            alt.Tooltip("low:Q", format=".2f"),
            alt.Tooltip("high:Q", format=".2f"),
            "n:Q",
        ],
    )
    chart = alt.layer(band, bars, line).properties(
        width=WIDTH, height=HEIGHT, title=f"{traj.measure_label}: mean by phase (95% CI)"
    )
    return chart_spec(_finish(chart, synthetic))


def forest_chart(result: SubgroupResult, synthetic: bool) -> dict[str, Any]:
    """Forest plot: each subgroup's estimate and interval, the overall as a diamond."""
    df = result.forest_table()
    df["label"] = [
        f"{lab} (n={n})" + (" [tiny]" if tiny else "")
        for lab, n, tiny in zip(df["label"], df["n"], df["tiny"], strict=True)
    ]
    data = alt.Data(values=_records(df))
    order = list(df["label"])
    y = alt.Y("label:N", sort=order, title=result.variable)
    height = max(60, 22 * len(df))
    base = alt.Chart(data)
    rule = base.mark_rule().encode(y=y, x=alt.X("low:Q", title="estimate (95% CI)"), x2="high:Q")
    point = base.mark_point(filled=True).encode(
        y=y,
        x="estimate:Q",
        shape=alt.Shape(
            "kind:N",
            scale=alt.Scale(domain=["subgroup", "overall"], range=["circle", "diamond"]),
            legend=None,
        ),
        tooltip=[
            "label:N",
            alt.Tooltip("estimate:Q", format=".2f"),
            alt.Tooltip("low:Q", format=".2f"),
            alt.Tooltip("high:Q", format=".2f"),
        ],
    )
    zero = (
        alt.Chart(alt.Data(values=[{"z": 0}]))
        .mark_rule(strokeDash=[4, 4], color="#888")
        .encode(x="z:Q")
    )
    title = f"{result.variable}: heterogeneity p = {result.p_value:.3g}"
    chart = alt.layer(rule, point, zero).properties(width=WIDTH, height=height, title=title)
    return chart_spec(_finish(chart, synthetic, height=height))


def durability_chart(result: DurabilityResult, synthetic: bool) -> dict[str, Any]:
    """Kaplan–Meier step curve of keeping a response, with its pointwise interval band."""
    df = result.table[["time", "survival", "lower", "upper", "at_risk"]]
    data = alt.Data(values=_records(df))
    base = alt.Chart(data)
    x = alt.X("time:Q", title=f"{result.time_unit} since first response")
    band = base.mark_area(interpolate="step-after", opacity=0.2, color="#198754").encode(
        x=x,
        y=alt.Y("lower:Q", scale=alt.Scale(domain=[0, 1]), title="probability response lasts"),
        y2="upper:Q",
    )
    line = base.mark_line(interpolate="step-after", color="#198754").encode(
        x=x,
        y="survival:Q",
        tooltip=["time:Q", alt.Tooltip("survival:Q", format=".2f"), "at_risk:Q"],
    )
    chart = alt.layer(band, line).properties(
        width=WIDTH, height=HEIGHT, title="Durability of response (Kaplan–Meier, 95% CI)"
    )
    return chart_spec(_finish(chart, synthetic))


def child_timeline_chart(child: ChildEvidence, phase_spans: pd.DataFrame) -> dict[str, Any]:
    """One child's measures, biomarkers, administrations and AEs on one study-day axis.

    ``phase_spans`` has columns phase, start, end (study days) drawn as background bands.
    """
    spans = alt.Data(values=_records(phase_spans))
    rows: list[Any] = []
    x_scale = alt.Scale(domain=[float(phase_spans["start"].min()), float(phase_spans["end"].max())])
    x = alt.X("study_day:Q", title="study day (day 0 = first administration)", scale=x_scale)

    def bands() -> alt.Chart:
        return (
            alt.Chart(spans)
            .mark_rect(opacity=0.12)
            .encode(
                x=alt.X("start:Q", scale=x_scale),
                x2="end:Q",
                color=alt.Color(
                    "phase:N",
                    scale=alt.Scale(domain=list(PHASE_COLOURS), range=list(PHASE_COLOURS.values())),
                ),
                tooltip=["phase:N"],
            )
        )

    events = []
    for _, a in child.administrations.iterrows():
        events.append(
            {
                "study_day": a["study_day"],
                "kind": "administration",
                "label": f"{a['product_type']} {a['lot']} ({a['route']})",
            }
        )
    for _, ae in child.adverse_events.iterrows():
        events.append(
            {
                "study_day": ae["study_day"],
                "kind": "adverse event",
                "label": f"{ae['term']} (grade {ae['grade']:.0f})",
            }
        )
    ev = alt.Data(values=_records(pd.DataFrame(events, columns=["study_day", "kind", "label"])))
    event_rules = (
        alt.Chart(ev)
        .mark_rule(strokeWidth=2)
        .encode(
            x=x,
            color=alt.Color(
                "kind:N",
                scale=alt.Scale(
                    domain=["administration", "adverse event"], range=["#6f42c1", "#dc3545"]
                ),
            ),
            tooltip=["kind:N", "label:N", "study_day:Q"],
        )
    )
    for m in child.measures:
        if m.series.empty:
            continue
        data = alt.Data(values=_records(m.series[["study_day", "phase", "visit_code", "value"]]))
        line = (
            alt.Chart(data)
            .mark_line(point=True, color="#212529")
            .encode(
                x=x,
                y=alt.Y("value:Q", title=m.label, scale=alt.Scale(zero=False)),
                tooltip=["visit_code:N", "phase:N", "study_day:Q", "value:Q"],
            )
        )
        rows.append(
            alt.layer(bands(), line, event_rules).properties(
                width=560, height=130, title=f"{m.label} ({m.direction.replace('_', ' ')})"
            )
        )
    if not child.biomarkers.empty:
        bio = child.biomarkers.assign(
            shown=np.where(
                child.biomarkers["below_lloq"].astype(bool),
                child.biomarkers["lloq"],
                child.biomarkers["value"],
            ),
            status=np.where(
                child.biomarkers["below_lloq"].astype(bool), "below LLOQ (at LLOQ)", "measured"
            ),
        )
        data = alt.Data(values=_records(bio[["study_day", "analyte", "shown", "status", "unit"]]))
        pts = (
            alt.Chart(data)
            .mark_line(point=True)
            .encode(
                x=x,
                y=alt.Y("shown:Q", title="biomarker"),
                color=alt.Color("analyte:N"),
                shape="status:N",
                tooltip=["analyte:N", "shown:Q", "unit:N", "status:N"],
            )
        )
        rows.append(
            alt.layer(bands(), pts, event_rules).properties(
                width=560, height=130, title="Biomarkers (below-LLOQ values drawn at the LLOQ)"
            )
        )
    rows.append(
        alt.layer(bands(), event_rules).properties(
            width=560, height=60, title="Administrations and adverse events"
        )
    )
    chart: Any = alt.vconcat(*rows).resolve_scale(color="independent")
    if child.synthetic:
        chart = alt.vconcat(
            alt.Chart(alt.Data(values=[{"t": "SYNTHETIC DATA"}]))
            .mark_text(fontSize=22, color="#dc3545", opacity=0.6, fontWeight="bold")
            .encode(text="t:N")
            .properties(width=560, height=30),
            chart,
        )
    return chart_spec(chart.configure(font=FONT))
