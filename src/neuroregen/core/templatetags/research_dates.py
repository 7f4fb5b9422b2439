from __future__ import annotations

from typing import Any

from django import template
from django.utils import dateformat

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
