"""Dates of a child's research events as the reader may see them.

Readers without ``VIEW_CALENDAR_DATES`` (statisticians) see study days relative to day 0 (the
first administration) instead of calendar dates: a screening date beside the age in months
would give away the birth month. Day 0 lives with the assignment (protocols, a higher layer),
which registers how to find it through :func:`set_day_zero_provider`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from django.utils.translation import gettext as _

from neuroregen.core.permissions import has_capability
from neuroregen.core.roles import Capability
from neuroregen.core.time import to_site

_day_zero_provider: Callable[[Any], dt.date | None] | None = None


def set_day_zero_provider(provider: Callable[[Any], dt.date | None]) -> None:
    global _day_zero_provider
    _day_zero_provider = provider


def day_zero_of(participant: Any) -> dt.date | None:
    return _day_zero_provider(participant) if _day_zero_provider is not None else None


def study_day(day_zero: dt.date | None, on: dt.date | dt.datetime | None) -> int | None:
    if day_zero is None or on is None:
        return None
    if isinstance(on, dt.datetime):
        on = on.date()
    return (on - day_zero).days


@dataclass(frozen=True)
class DateView:
    """How one reader sees the dates of one child."""

    calendar: bool
    day_zero: dt.date | None = None

    def show(self, value: dt.date | dt.datetime | None) -> Any:
        if value is None:
            return "—"
        if self.calendar:
            return value
        day = study_day(self.day_zero, value)
        if day is None:
            return _("study day not yet known")
        return _("study day %(day)s") % {"day": day}


def date_view(user: Any, participant: Any, day_zero: dt.date | None = None) -> DateView:
    """How ``user`` sees ``participant``'s dates; ``day_zero`` when the caller knows it (a
    planned day 0 on the timeline), else the recorded one."""
    if has_capability(user, Capability.VIEW_CALENDAR_DATES, participant.site_id):
        return DateView(calendar=True)
    return DateView(calendar=False, day_zero=day_zero or day_zero_of(participant))


def sees_calendar_dates(user: Any, site: Any | None = None) -> bool:
    return has_capability(user, Capability.VIEW_CALENDAR_DATES, site)


def calendar_for_reader(participant: Any, context: dict[str, Any] | None, value: Any) -> Any:
    """An API field's calendar date (or moment) of ``participant``'s event, or ``None`` for a
    reader who sees study days instead (for django-ninja ``resolve_*`` methods)."""
    request = (context or {}).get("request")
    user = getattr(request, "user", None)
    return value if sees_calendar_dates(user, participant.site_id) else None


def calendar_resolver(attribute: str, participant: str = "participant") -> Any:
    """A django-ninja ``resolve_<field>`` giving ``obj.<attribute>`` through
    :func:`calendar_for_reader`; ``participant`` is the dotted path from the object to its
    participant (``"event.participant"`` for a safety follow-up)."""
    owner = attrgetter(participant)

    def resolve(obj: Any, context: dict[str, Any]) -> Any:
        return calendar_for_reader(owner(obj), context, getattr(obj, attribute))

    return staticmethod(resolve)


def study_day_of(participant: Any, value: dt.date | dt.datetime | None) -> int | None:
    """The study day of one of ``participant``'s events (a moment counts on the site's
    calendar); day 0 is looked up once per participant object."""
    if value is None:
        return None
    if not hasattr(participant, "_nr_day_zero"):
        participant._nr_day_zero = day_zero_of(participant)
    if isinstance(value, dt.datetime):
        value = to_site(value, participant.site).date()
    return study_day(participant._nr_day_zero, value)
