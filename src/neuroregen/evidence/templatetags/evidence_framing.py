"""Filters that name what a number is and which way is improvement (``evidence.framing``)."""

from __future__ import annotations

from typing import Any

from django import template

from neuroregen.evidence import framing
from neuroregen.protocols.visit_choices import Phase

register = template.Library()


@register.filter
def improvement_arrow(direction: Any) -> str:
    """``{{ "higher_is_worse"|improvement_arrow }}`` → "↓"; "" for an unknown direction."""
    try:
        return framing.arrow(direction)
    except ValueError:
        return ""


@register.filter
def claim_quantity(verdict: Any) -> str:
    """What a claim's observed figure is ("Difference in responder rate, younger − older")."""
    return framing.claim_quantity(verdict)


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """``{{ rules|get_item:phase }}``: a mapping's value, "" when absent."""
    return (mapping or {}).get(key, "")


@register.filter
def phase_name(code: Any) -> str:
    """``{{ "mid"|phase_name }}`` → "Mid (2–4 months)", in the reader's language."""
    try:
        return str(Phase(str(code)).label)
    except ValueError:
        return str(code)
