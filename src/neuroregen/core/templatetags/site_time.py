"""Show stored moments in the site's zone with its abbreviation (see ``core.time``).

``{{ e.aware_at|site_time:e }}`` → "2026-01-05 11:40 EST": the argument is the record (or its
site, or a zone name). ``{{ a.started_at|site_date:a }}`` → the site-local calendar date.
``site_day`` gives that date as a date object for a localised ``|date`` format.
ISO strings with an offset (stored in JSON change logs) are read as moments too; anything
else is shown unchanged.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils import dateformat, timezone
from django.utils.dateparse import parse_datetime

from neuroregen.core.time import format_at, site_zone_name, to_site

register = template.Library()


def _moment(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo is not None else None
    if isinstance(value, str) and len(value) >= 16 and "T" in value:
        try:
            parsed = parse_datetime(value)
        except ValueError:
            return None
        if parsed is not None and parsed.tzinfo is not None:
            return parsed
    return None


def _zone_of(where: Any) -> str:
    try:
        return site_zone_name(where)
    except ValueError:
        return timezone.get_current_timezone_name()


@register.filter
def site_time(value: Any, where: Any = None) -> Any:
    """The moment as "Y-m-d H:i ZONE" at the site of ``where``."""
    moment = _moment(value)
    if moment is None:
        return "" if value is None else value
    return format_at(moment, _zone_of(where))


@register.filter
def site_clock(value: Any, where: Any = None) -> Any:
    """Only the wall time and zone: "11:40 EST" (the date is shown next to it)."""
    moment = _moment(value)
    if moment is None:
        return "" if value is None else value
    return format_at(moment, _zone_of(where), "H:i")


@register.filter
def site_day(value: Any, where: Any = None) -> Any:
    """The site-local calendar date of a moment as a date, for ``|date:"j E Y"`` after it."""
    moment = _moment(value)
    if moment is None:
        return value
    return to_site(moment, _zone_of(where)).date()


@register.filter
def site_date(value: Any, where: Any = None) -> Any:
    """The site-local calendar date of a moment, "Y-m-d"."""
    moment = _moment(value)
    if moment is None:
        return "" if value is None else value
    return dateformat.format(to_site(moment, _zone_of(where)), "Y-m-d")
