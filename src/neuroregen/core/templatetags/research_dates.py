from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def research_date(value: Any, dates: Any) -> Any:
    """``{{ p.screened_on|research_date:dates }}``: the date, or its study day for readers who
    may not see calendar dates (``dates`` is a ``core.research_dates.DateView``)."""
    if dates is None:
        return value
    return dates.show(value)
