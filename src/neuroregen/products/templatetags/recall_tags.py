"""``{% recall_notices %}`` for the site dashboard and ``{% recall_notices participant %}`` for
a participant's page: open recall notices the user's sites must act on."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("products/_recall_notices.html", takes_context=True)
def recall_notices(context: dict[str, Any], participant: Any = None) -> dict[str, Any]:
    from neuroregen.products.recall import may_acknowledge, open_recall_notices

    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if user is None or not user.is_authenticated:
        return {"notices": [], "participant": participant}
    notices = list(open_recall_notices(user=user, participant=participant)[:50])
    for notice in notices:
        notice.may_acknowledge = may_acknowledge(user, notice)
    return {"notices": notices, "participant": participant}
