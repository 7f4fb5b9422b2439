"""Vega-Lite specs for the evidence pages; the same specs render to SVG for PDFs.

Every plot of an effect draws its interval; plots of synthetic data carry a watermark. Specs
are plain dicts placed in ``<script type="application/json">`` blocks and embedded by
``static/neuroregen/evidence-charts.js`` with the CSP-safe Vega interpreter. They are written
as dicts rather than built with altair: altair validates and deep-copies every chart object,
which took longer than all the statistics on the program page.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from neuroregen.evidence.analysis import Trajectory
from neuroregen.evidence.child import ChildEvidence
from neuroregen.stats.durability import DurabilityResult
from neuroregen.stats.subgroups import SubgroupResult

__all__ = [
    "FONT",
    "SCHEMA",
    "child_timeline_chart",
    "durability_chart",
    "field",
    "finish",
    "forest_chart",
    "to_svg",
    "trajectory_chart",
    "watermark",
]

FONT = "DejaVu Sans"
SCHEMA = "https://vega.github.io/schema/vega-lite/v6.4.1.json"
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
_TYPES = {"N": "nominal", "Q": "quantitative", "O": "ordinal", "T": "temporal"}


def _phase_label(code: Any) -> Any:
    """A phase's name in the active language (a missing phase stays missing)."""
    from neuroregen.protocols.visit_choices import Phase

    if not isinstance(code, str):
        return code
    try:
        return str(Phase(code).label)
    except ValueError:
        return code


def _synthetic_text() -> str:
    return _("SYNTHETIC DATA")


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-safe rows (NaN and infinities become null)."""
    clean = df.replace([np.inf, -np.inf], np.nan).astype(object)
    return clean.where(clean.notna(), None).to_dict(orient="records")


def field(shorthand: str, **extra: Any) -> dict[str, Any]:
    """An encoding channel from altair-style shorthand: ``field("low:Q", title=...)``."""
    name, _sep, code = shorthand.partition(":")
    channel: dict[str, Any] = {"field": name, **extra}
    if code:
        channel["type"] = _TYPES[code]
    return channel


def _tooltip(*channels: str | tuple[str, str]) -> list[dict[str, Any]]:
    """Tooltip fields; a (shorthand, format) pair formats a number."""
    return [field(c) if isinstance(c, str) else field(c[0], format=c[1]) for c in channels]


def _values(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"values": rows}


WATERMARK_MARK = {
    "type": "text",
    "angle": 340,
    "color": "#dc3545",
    "fontSize": 30,
    "fontWeight": "bold",
    "opacity": 0.18,
}


def watermark(
    width: float,
    height: float,
    text: str | None = None,
    mark: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A text layer across the middle of the plot (``mark`` restyles it); the text defaults
    to "SYNTHETIC DATA" in the active language."""
    return {
        "data": _values([{"t": text or _synthetic_text()}]),
        "mark": mark or WATERMARK_MARK,
        "encoding": {
            "text": field("t:N"),
            "x": {"value": width / 2},
            "y": {"value": height / 2},
        },
    }


def finish(
    chart: dict[str, Any],
    synthetic: bool,
    width: int = WIDTH,
    height: int = HEIGHT,
    watermark_text: str | None = None,
    watermark_mark: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Size, watermark (for synthetic data), font and schema of a layered chart."""
    if synthetic:
        chart = {"layer": [chart, watermark(width, height, watermark_text, watermark_mark)]}
    return {
        "$schema": SCHEMA,
        "config": {"view": {"strokeWidth": 0}, "font": FONT},
        **chart,
        "width": width,
        "height": height,
    }


def to_svg(spec: dict[str, Any]) -> str:
    """Render a Vega-Lite spec to SVG offline (vl-convert), for PDF reports."""
    import vl_convert

    svg: str = vl_convert.vegalite_to_svg(spec)
    return svg


def trajectory_chart(traj: Trajectory, synthetic: bool) -> dict[str, Any] | None:
    """Estimated marginal means by phase with their intervals (band and error bars); every
    word drawn (titles, phases) is in the active language."""
    if traj.model is None:
        return None
    df = pd.DataFrame(
        [
            {
                "phase": _phase_label(e.details["phase"]),
                "estimate": e.estimate,
                "low": e.ci_low,
                "high": e.ci_high,
                "n": e.n,
            }
            for e in traj.model.marginal_means
        ]
    )
    present = set(df["phase"])
    order = [label for label in map(_phase_label, PHASE_ORDER) if label in present]
    x = field("phase:N", sort=order, title=_("phase"))
    # the same y title on every layer: otherwise Vega-Lite joins the layers' field names into
    # it ("Irritability (model mean), low")
    y_title = _("%(measure)s, model mean") % {"measure": traj.measure_label}
    band = {
        "mark": {"type": "area", "color": "#0d6efd", "opacity": 0.2},
        "encoding": {
            "x": x,
            "y": field("low:Q", title=y_title, scale={"zero": False}),
            "y2": field("high"),
        },
    }
    bars = {
        "mark": {"type": "errorbar", "ticks": True},
        "encoding": {"x": x, "y": field("low:Q", title=y_title), "y2": field("high")},
    }
    line = {
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": x,
            "y": field("estimate:Q", title=y_title),
            "tooltip": _tooltip(
                "phase:N", ("estimate:Q", ".2f"), ("low:Q", ".2f"), ("high:Q", ".2f"), "n:Q"
            ),
        },
    }
    chart = {
        "layer": [band, bars, line],
        "data": _values(_records(df)),
        "title": _("%(measure)s: mean by phase (95%% CI)") % {"measure": traj.measure_label},
    }
    return finish(chart, synthetic)


def forest_chart(
    result: SubgroupResult,
    synthetic: bool,
    *,
    level_label: Callable[[str], str] | None = None,
    title: str | None = None,
    variable_label: str | None = None,
) -> dict[str, Any]:
    """Forest plot: each subgroup's estimate and interval, the overall as a diamond.

    ``level_label`` turns a stored level (``cnv``, ``3.0``) into its label; ``title`` replaces
    the default title."""
    df = result.forest_table()
    name = level_label or str
    overall = pgettext("subgroups", "overall")
    tiny_mark = " " + _("[tiny]")
    df["label"] = [
        (name(lab) if kind != "overall" else overall) + f" (n={n})" + (tiny_mark if tiny else "")
        for lab, n, tiny, kind in zip(df["label"], df["n"], df["tiny"], df["kind"], strict=True)
    ]
    data = _values(_records(df))
    y = field("label:N", sort=list(df["label"]), title=variable_label or result.variable)
    height = max(60, 22 * len(df))
    x_title = _("estimate (95% CI)")
    rule = {
        "data": data,
        "mark": {"type": "rule"},
        "encoding": {
            "y": y,
            "x": field("low:Q", title=x_title),
            "x2": field("high"),
        },
    }
    point = {
        "data": data,
        "mark": {"type": "point", "filled": True},
        "encoding": {
            "y": y,
            "x": field("estimate:Q", title=x_title),
            "shape": field(
                "kind:N",
                scale={"domain": ["subgroup", "overall"], "range": ["circle", "diamond"]},
                legend=None,
            ),
            "tooltip": _tooltip(
                "label:N", ("estimate:Q", ".2f"), ("low:Q", ".2f"), ("high:Q", ".2f")
            ),
        },
    }
    zero = {
        "data": _values([{"z": 0}]),
        "mark": {"type": "rule", "strokeDash": [4, 4], "color": "#888"},
        "encoding": {"x": field("z:Q", title=x_title)},
    }
    p = float(result.p_value)
    heterogeneity = (
        _("heterogeneity not estimable")
        if math.isnan(p)
        else _("heterogeneity p = %(p)s") % {"p": f"{p:.3g}"}
    )
    chart = {
        "layer": [rule, point, zero],
        "title": title or f"{result.variable}: {heterogeneity}",
    }
    return finish(chart, synthetic, height=height)


def durability_chart(result: DurabilityResult, synthetic: bool) -> dict[str, Any]:
    """Kaplan–Meier step curve of keeping a response, with its pointwise interval band."""
    df = result.table[["time", "survival", "lower", "upper", "at_risk"]]
    x = field("time:Q", title=_time_since_response(result.time_unit))
    colour = "#198754"
    y_title = _("probability response lasts")
    band = {
        "mark": {"type": "area", "interpolate": "step-after", "opacity": 0.2, "color": colour},
        "encoding": {
            "x": x,
            "y": field("lower:Q", scale={"domain": [0, 1]}, title=y_title),
            "y2": field("upper"),
        },
    }
    line = {
        "mark": {"type": "line", "interpolate": "step-after", "color": colour},
        "encoding": {
            "x": x,
            "y": field("survival:Q", title=y_title),
            "tooltip": _tooltip("time:Q", ("survival:Q", ".2f"), "at_risk:Q"),
        },
    }
    chart = {
        "layer": [band, line],
        "data": _values(_records(df)),
        "title": _("Durability of response (Kaplan–Meier, 95% CI)"),
    }
    return finish(chart, synthetic)


def _time_since_response(unit: str) -> str:
    words = {
        "months": lambda: _("months since first response"),
        "weeks": lambda: _("weeks since first response"),
        "days": lambda: _("days since first response"),
    }.get(unit)
    return words() if words else f"{unit} since first response"


def child_timeline_chart(child: ChildEvidence, phase_spans: pd.DataFrame) -> dict[str, Any]:
    """One child's measures, biomarkers, administrations and AEs on one study-day axis.

    ``phase_spans`` has columns phase, start, end (study days) drawn as background bands.
    """
    x_scale = {"domain": [float(phase_spans["start"].min()), float(phase_spans["end"].max())]}
    x = field("study_day:Q", title=_("study day (day 0 = first administration)"), scale=x_scale)
    administration, adverse_event = _("administration"), _("adverse event")
    bands = {
        # phases are drawn (legend, tooltip) by their names, not their codes
        "data": _values(_records(phase_spans.assign(phase=phase_spans["phase"].map(_phase_label)))),
        "mark": {"type": "rect", "opacity": 0.12},
        "encoding": {
            "x": field("start:Q", scale=x_scale),
            "x2": field("end"),
            "color": field(
                "phase:N",
                scale={
                    "domain": [_phase_label(p) for p in PHASE_COLOURS],
                    "range": list(PHASE_COLOURS.values()),
                },
            ),
            "tooltip": _tooltip("phase:N"),
        },
    }
    events = [
        {
            "study_day": a["study_day"],
            "kind": administration,
            "label": f"{a['product_type']} {a['lot']} ({a['route']})",
        }
        for _index, a in child.administrations.iterrows()
    ] + [
        {
            "study_day": ae["study_day"],
            "kind": adverse_event,
            "label": _("%(term)s (grade %(grade)s)")
            % {"term": ae["term"], "grade": f"{ae['grade']:.0f}"},
        }
        for _index, ae in child.adverse_events.iterrows()
    ]
    event_rules = {
        "data": _values(_records(pd.DataFrame(events, columns=["study_day", "kind", "label"]))),
        "mark": {"type": "rule", "strokeWidth": 2},
        "encoding": {
            "x": x,
            "color": field(
                "kind:N",
                scale={
                    "domain": [administration, adverse_event],
                    "range": ["#6f42c1", "#dc3545"],
                },
            ),
            "tooltip": _tooltip("kind:N", "label:N", "study_day:Q"),
        },
    }

    def row(layer: dict[str, Any] | None, title: str, height: int = 130) -> dict[str, Any]:
        layers = [bands, layer, event_rules] if layer else [bands, event_rules]
        return {"layer": layers, "title": title, "width": 560, "height": height}

    rows: list[dict[str, Any]] = []
    for m in child.measures:
        if m.series.empty:
            continue
        line = {
            "data": _values(
                _records(
                    m.series[["study_day", "phase", "visit_code", "value"]].assign(
                        phase=m.series["phase"].map(_phase_label)
                    )
                )
            ),
            "mark": {"type": "line", "point": True, "color": "#212529"},
            "encoding": {
                "x": x,
                "y": field("value:Q", title=m.label, scale={"zero": False}),
                "tooltip": _tooltip("visit_code:N", "phase:N", "study_day:Q", "value:Q"),
            },
        }
        rows.append(row(line, f"{m.label} ({m.direction.replace('_', ' ')})"))
    if not child.biomarkers.empty:
        below = child.biomarkers["below_lloq"].astype(bool)
        bio = child.biomarkers.assign(
            shown=np.where(below, child.biomarkers["lloq"], child.biomarkers["value"]),
            status=np.where(below, _("below LLOQ (at LLOQ)"), _("measured")),
        )
        points = {
            "data": _values(_records(bio[["study_day", "analyte", "shown", "status", "unit"]])),
            "mark": {"type": "line", "point": True},
            "encoding": {
                "x": x,
                "y": field("shown:Q", title=_("biomarker")),
                "color": field("analyte:N"),
                "shape": field("status:N"),
                "tooltip": _tooltip("analyte:N", "shown:Q", "unit:N", "status:N"),
            },
        }
        rows.append(row(points, _("Biomarkers (below-LLOQ values drawn at the LLOQ)")))
    rows.append(row(None, _("Administrations and adverse events"), height=60))
    chart: dict[str, Any] = {"vconcat": rows, "resolve": {"scale": {"color": "independent"}}}
    if child.synthetic:
        banner = {
            "data": _values([{"t": _synthetic_text()}]),
            "mark": {
                "type": "text",
                "color": "#dc3545",
                "fontSize": 22,
                "fontWeight": "bold",
                "opacity": 0.6,
            },
            "encoding": {"text": field("t:N")},
            "width": 560,
            "height": 30,
        }
        chart = {"vconcat": [banner, chart]}
    return {"$schema": SCHEMA, "config": {"font": FONT}, **chart}
