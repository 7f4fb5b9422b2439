"""``{% safety_alerts %}``: the safety alerts of the user's sites, for the site dashboard."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("safety/_site_alerts.html", takes_context=True)
def safety_alerts(context: dict[str, Any]) -> dict[str, Any]:
    # Imported when the tag renders, not when the template engine loads its libraries (which
    # every command's system checks do): the selectors bring in the statistics libraries.
    from neuroregen.safety.selectors import site_alerts

    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    alerts = site_alerts(user=user) if user is not None and user.is_authenticated else []
    return {"safety_alerts": alerts}


@register.filter
def pct(value: float | None, digits: int = 1) -> str:
    """A proportion as a percentage (0.25 → "25.0")."""
    if value is None:
        return "—"
    return f"{float(value) * 100:.{int(digits)}f}"
