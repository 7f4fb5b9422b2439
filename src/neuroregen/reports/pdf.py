"""PDF from the same templates as the web pages (WeasyPrint), and plots for families."""

from __future__ import annotations

import base64
from typing import Any

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from neuroregen.evidence.plots import field, finish, to_svg


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    """Render ``template`` with ``context`` to PDF bytes (fonts: DejaVu Sans, no network)."""
    from weasyprint import HTML

    html = render_to_string(template, {**context, "pdf": True})
    pdf: bytes = HTML(string=html, base_url=None).write_pdf()
    return pdf


FAMILY_WATERMARK = {
    "type": "text",
    "fontSize": 22,
    "opacity": 0.15,
    "color": "#dc3545",
    "angle": 345,
}


def family_measure_plot(measure: dict[str, Any], synthetic: bool) -> str | None:
    """A calm line of one measure over the visits, with the band of measurement error around
    the first (baseline) value, as an SVG data URI; labels in the active language."""
    points = [p for p in measure["points"] if p["value"] is not None]
    if len(points) < 2:
        return None
    order = [p["visit"] for p in points]
    x = field("visit:N", sort=order, title=_("visit"), axis={"labelAngle": 0})
    layers: list[dict[str, Any]] = []
    if measure.get("threshold") and measure.get("baseline") is not None:
        low = measure["baseline"] - measure["threshold"]
        high = measure["baseline"] + measure["threshold"]
        layers.append(
            {
                "data": {"values": [{"visit": v, "low": low, "high": high} for v in order]},
                "mark": {"type": "area", "opacity": 0.18, "color": "#6c757d"},
                "encoding": {"x": x, "y": field("low:Q"), "y2": field("high")},
            }
        )
    layers.append(
        {
            "data": {"values": [{"visit": p["visit"], "value": p["value"]} for p in points]},
            "mark": {"type": "line", "point": {"size": 60}, "color": "#2f6f8f"},
            "encoding": {
                "x": x,
                "y": field("value:Q", title=_("score"), scale={"zero": False}),
            },
        }
    )
    spec = finish(
        {"layer": layers},
        synthetic,
        width=360,
        height=150,
        watermark_text=_("SYNTHETIC DATA"),
        watermark_mark=FAMILY_WATERMARK,  # quieter than on the staff pages
    )
    return "data:image/svg+xml;base64," + base64.b64encode(to_svg(spec).encode()).decode()
