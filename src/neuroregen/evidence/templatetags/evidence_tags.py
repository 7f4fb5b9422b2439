"""Filters that print an estimate only together with its interval."""

from __future__ import annotations

import math
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()


def _f(value: float, digits: int, percent: bool) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, float) and math.isinf(value):
        return "∞" if value > 0 else "−∞"
    return f"{value * 100:.{max(digits - 2, 0)}f}%" if percent else f"{value:.{digits}f}"


def _render(est: Any, digits: int, percent: bool) -> str:
    if est is None:
        return mark_safe('<span class="text-body-secondary">—</span>')
    level = round(est.confidence * 100)
    return format_html(
        '<span class="nr-effect" data-testid="effect">'
        '<span class="nr-est" data-estimate>{}</span> '
        '<span class="nr-ci small text-body-secondary" data-interval>({}% CI {} to {})</span>'
        ' <span class="small text-body-secondary">n={}</span></span>',
        _f(est.estimate, digits, percent),
        level,
        _f(est.ci_low, digits, percent),
        _f(est.ci_high, digits, percent),
        est.n,
    )


@register.filter
def est(value: Any, digits: int = 2) -> str:
    """``{{ estimate|est }}`` → "−7.92 (95% CI −9.10 to −6.74) n=58"."""
    return _render(value, int(digits), percent=False)


@register.filter
def pct(value: Any) -> str:
    """``{{ rate|pct }}`` → "39% (95% CI 27% to 52%) n=58"."""
    return _render(value, 2, percent=True)


@register.filter
def caveat_list(value: Any) -> list[str]:
    return list(getattr(value, "caveats", ()) or ())
