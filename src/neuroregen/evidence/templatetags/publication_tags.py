"""The claims panel's check of the programme's stated percentages against its n."""

from __future__ import annotations

from typing import Any

from django import template

from neuroregen.evidence.publication import claim_figures

register = template.Library()


@register.inclusion_tag("evidence/_claim_granularity.html")
def claim_granularity(claims: Any) -> dict[str, Any]:
    return {"items": claim_figures(claims or ())}


@register.simple_tag
def reads_evidence(user: Any) -> bool:
    """True for the staff roles the "check a publication" page is for."""
    from neuroregen.core.scoping import memberships_of
    from neuroregen.evidence.publication_views import EVIDENCE_READERS

    return any(m.role in EVIDENCE_READERS for m in memberships_of(user))
