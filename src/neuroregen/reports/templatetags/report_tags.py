"""Filters that print report values with their labels, never their stored codes."""

from __future__ import annotations

from typing import Any

from django import template

from neuroregen.reports import labels

register = template.Library()


@register.filter
def level(value: Any, variable: str) -> str:
    """``{{ level|level:"route" }}`` → "Intrathecal"."""
    return labels.level_label(variable, value)


@register.filter
def variable(name: str) -> str:
    return labels.variable_label(name)


@register.filter
def direction(code: str) -> str:
    return labels.direction_label(str(code))


@register.filter
def heterogeneity(p_value: Any) -> str:
    return labels.heterogeneity_text(p_value)


@register.filter
def phase(code: str) -> str:
    return labels_phase(code)


def labels_phase(code: str) -> str:
    from neuroregen.reports.consort import phase_label

    return phase_label(str(code))


@register.filter
def ratio_percent(part: int, whole: int) -> str:
    """``{{ n|ratio_percent:total }}`` → "42%" (whole percent, as on the evidence page)."""
    return f"{100 * part / whole:.0f}%" if whole else "—"


@register.filter
def measure(key: str, names: Any = None) -> str:
    """``{{ row.measure|measure:r.measure_names }}`` → the score's name in the active language
    (``names``: the names resolved once for the report, else looked up)."""
    if isinstance(names, dict) and key in names:
        return str(names[key])
    return labels.measure_label(str(key))


@register.filter
def analyte(value: str) -> str:
    return labels.analyte_label(str(value))


@register.filter
def dsmb_indicator(code: str, fallback: str = "") -> str:
    """A DSMB table row ("participants with any adverse event") from its indicator code."""
    return labels.dsmb_indicator_label(str(code), str(fallback or ""))


@register.filter
def dsmb_rate(words: str) -> str:
    return labels.dsmb_rate_label(str(words))


@register.filter
def rule_explanation(result: Any) -> str:
    return labels.rule_explanation(result)


@register.filter
def rule_note(note: str) -> str:
    return labels.rule_note(str(note))


@register.filter
def dsmb_group(label: str) -> str:
    return labels.dsmb_group(label)


@register.simple_tag
def arm_name(protocol: Any, arm_code: str) -> str:
    """A stopping rule's arm by name ("" when the rule covers every arm)."""
    if not arm_code:
        return ""
    arm = protocol.arms.filter(code=arm_code).values_list("name", flat=True).first()
    return arm or arm_code
