"""``{{ value|points }}``, ``{{ value|days }}``: counts with units, fractions included
(:mod:`neuroregen.core.plurals`). An optional argument gives the decimals (default 1)."""

from __future__ import annotations

from typing import Any

from django import template

from neuroregen.core import plurals

register = template.Library()


@register.filter
def points(value: Any, digits: int = 1) -> str:
    return plurals.points(value, int(digits)) if value not in (None, "") else "—"


@register.filter
def days(value: Any, digits: int = 1) -> str:
    return plurals.days(value, int(digits)) if value not in (None, "") else "—"
