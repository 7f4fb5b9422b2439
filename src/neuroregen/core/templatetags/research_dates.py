from __future__ import annotations

from typing import Any

from django import template
from django.utils import dateformat

from neuroregen.core.research_dates import date_view

register = template.Library()


@register.filter
def research_date(value: Any, dates: Any) -> Any:
    """``{{ p.screened_on|research_date:dates }}``: the date, or its study day for readers who
    may not see calendar dates (``dates`` is a ``core.research_dates.DateView``)."""
    if dates is None:
        return value
    return dates.show(value)


@register.filter
def research_ymd(value: Any, dates: Any) -> Any:
    """As :func:`research_date`, with calendar dates written YYYY-MM-DD."""
    if value is None or dates is None or not dates.calendar:
        return research_date(value, dates)
    return dateformat.format(value, "Y-m-d")


@register.simple_tag(takes_context=True)
def research_dates_for(context: Any, participant: Any) -> Any:
    """``{% research_dates_for e.participant as dates %}``: how the signed-in reader sees that
    child's dates, for pages whose view does not pass ``dates`` (lists of many children).
    Each child's day 0 is looked up once per request."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if participant is None or user is None:
        return None
    cache = request.__dict__.setdefault("_research_date_views", {})
    if participant.pk not in cache:
        cache[participant.pk] = date_view(user, participant)
    return cache[participant.pk]
