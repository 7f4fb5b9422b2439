"""PDF from the same templates as the web pages (WeasyPrint), and plots for families."""

from __future__ import annotations

import base64
from typing import Any

import altair as alt
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from neuroregen.evidence.plots import FONT, to_svg


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    """Render ``template`` with ``context`` to PDF bytes (fonts: DejaVu Sans, no network)."""
    from weasyprint import HTML

    html = render_to_string(template, {**context, "pdf": True})
    pdf: bytes = HTML(string=html, base_url=None).write_pdf()
    return pdf


def family_measure_plot(measure: dict[str, Any], synthetic: bool) -> str | None:
    """A calm line of one measure over the visits, with the band of measurement error around
    the first (baseline) value, as an SVG data URI; labels in the active language."""
    points = [p for p in measure["points"] if p["value"] is not None]
    if len(points) < 2:
        return None
    order = [p["visit"] for p in points]
    data = alt.Data(values=[{"visit": p["visit"], "value": p["value"]} for p in points])
    x = alt.X("visit:N", sort=order, title=_("visit"), axis=alt.Axis(labelAngle=0))
    layers: list[Any] = []
    if measure.get("threshold") and measure.get("baseline") is not None:
        low = measure["baseline"] - measure["threshold"]
        high = measure["baseline"] + measure["threshold"]
        band = alt.Data(values=[{"visit": v, "low": low, "high": high} for v in order])
        layers.append(
            alt.Chart(band)
            .mark_area(opacity=0.18, color="#6c757d")
            .encode(x=x, y=alt.Y("low:Q"), y2="high:Q")
        )
    layers.append(
        alt.Chart(data)
        .mark_line(point=alt.OverlayMarkDef(size=60), color="#2f6f8f")
        .encode(x=x, y=alt.Y("value:Q", title=_("score"), scale=alt.Scale(zero=False)))
    )
    chart: Any = alt.layer(*layers).properties(width=360, height=150)
    if synthetic:
        chart = alt.layer(
            chart,
            alt.Chart(alt.Data(values=[{"t": _("SYNTHETIC DATA")}]))
            .mark_text(fontSize=22, opacity=0.15, color="#dc3545", angle=345)
            .encode(text="t:N", x=alt.value(180), y=alt.value(75)),
        )
    spec = chart.configure(font=FONT).configure_view(strokeWidth=0).to_dict(validate=False)
    return "data:image/svg+xml;base64," + base64.b64encode(to_svg(spec).encode()).decode()
