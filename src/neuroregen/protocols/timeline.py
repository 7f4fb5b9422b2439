"""The one place where study time is computed. Pure: no database, no request, no clock of its own.

Conventions (DOMAIN.md §1):

- Day 0 is the date of the first administration, as a *local date at the participant's site*.
  Day 1 is the next calendar day; days before day 0 are negative (there is no skipped day).
- Moments are stored timezone-aware. A moment becomes a study date only through
  :func:`local_date` with the site's IANA time zone, so an administration at 00:30 in Kyiv
  (still the previous day in UTC) belongs to the Kyiv date, and a 23- or 25-hour day at a
  daylight-saving change is still one study day. Naive datetimes are refused.
- A visit has a target study day and a window [target − before, target + after], inclusive.
- Phases follow the study day: screening < baseline (from ``baseline_from`` to day −1) <
  administration (day 0) < early < mid < late < long-term, with boundaries a protocol may set.

Everything else (models, services, views, other apps) calls these functions; none re-derives
a study day, phase or window by itself.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.utils import timezone

from neuroregen.core.time import zone
from neuroregen.protocols.visit_choices import PHASE_ORDER, Phase, VisitStatus

__all__ = [
    "DEFAULT_BOUNDARIES",
    "NaiveDateTimeError",
    "PhaseBoundaries",
    "Window",
    "date_of_study_day",
    "local_date",
    "phase_of",
    "phase_rank",
    "study_day",
    "today_at",
    "visit_status",
    "windows_overlap",
]


class NaiveDateTimeError(ValueError):
    """A datetime without a time zone cannot be placed on a site's calendar."""


def _zone(tz_name: str) -> ZoneInfo:
    # One definition of a valid site zone for the whole system (``core.time``).
    return zone(tz_name)


def local_date(moment: dt.datetime | dt.date, tz_name: str) -> dt.date:
    """The calendar date of ``moment`` at the site whose IANA time zone is ``tz_name``.

    A plain date is returned unchanged (it is already a site-local date).

    >>> kyiv_0030 = dt.datetime(2026, 3, 1, 22, 30, tzinfo=dt.UTC)  # 00:30 on 2 March in Kyiv
    >>> local_date(kyiv_0030, "Europe/Kyiv")
    datetime.date(2026, 3, 2)
    """
    if isinstance(moment, dt.datetime):
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise NaiveDateTimeError("a datetime must be timezone-aware to become a study date")
        return moment.astimezone(_zone(tz_name)).date()
    return moment


def today_at(tz_name: str, now: dt.datetime | None = None) -> dt.date:
    """Today's date at the site (``now`` defaults to the current moment)."""
    return local_date(now or timezone.now(), tz_name)


def study_day(
    day_zero: dt.date | dt.datetime, on: dt.date | dt.datetime, tz_name: str | None = None
) -> int:
    """Study day of ``on`` for a participant whose day 0 is ``day_zero``.

    Both may be dates (site-local) or aware datetimes; datetimes need ``tz_name`` so they are
    first turned into site-local dates — never subtracted as moments, which would count a
    23-hour daylight-saving day as "0 days".

    >>> study_day(dt.date(2026, 1, 10), dt.date(2026, 1, 17))
    7
    >>> study_day(dt.date(2026, 1, 10), dt.date(2026, 1, 3))
    -7
    """
    if isinstance(day_zero, dt.datetime) or isinstance(on, dt.datetime):
        if tz_name is None:
            raise NaiveDateTimeError("datetimes need the site's time zone to give a study day")
        day_zero, on = local_date(day_zero, tz_name), local_date(on, tz_name)
    return (on - day_zero).days


def date_of_study_day(day_zero: dt.date, day: int) -> dt.date:
    """The calendar date of study day ``day``."""
    return day_zero + dt.timedelta(days=day)


@dataclass(frozen=True)
class PhaseBoundaries:
    """Last study day of each follow-up phase, and the first day of baseline.

    Defaults follow DOMAIN.md §1: early = first weeks (to day 45), mid = months 2–4 (to day
    150), late = months 6–12 (to day 400, so a month-12 window of ±30 days stays late).
    """

    baseline_from: int = -30
    early_until: int = 45
    mid_until: int = 150
    late_until: int = 400

    def __post_init__(self) -> None:
        if not (self.baseline_from < 0 < self.early_until < self.mid_until < self.late_until):
            raise ValueError(
                "phase boundaries need baseline_from < 0 < early_until < mid_until < late_until"
            )


DEFAULT_BOUNDARIES = PhaseBoundaries()


def phase_of(day: int, boundaries: PhaseBoundaries = DEFAULT_BOUNDARIES) -> Phase:
    """The phase a study day falls in.

    >>> [phase_of(d).value for d in (-40, -30, 0, 7, 60, 180, 500)]
    ['screening', 'baseline', 'administration', 'early', 'mid', 'late', 'long_term']
    """
    if day < boundaries.baseline_from:
        return Phase.SCREENING
    if day < 0:
        return Phase.BASELINE
    if day == 0:
        return Phase.ADMINISTRATION
    if day <= boundaries.early_until:
        return Phase.EARLY
    if day <= boundaries.mid_until:
        return Phase.MID
    if day <= boundaries.late_until:
        return Phase.LATE
    return Phase.LONG_TERM


def phase_rank(phase: str) -> int:
    return PHASE_ORDER.index(phase)


@dataclass(frozen=True)
class Window:
    """A visit window in study days, inclusive at both ends."""

    target: int
    before: int = 0
    after: int = 0

    def __post_init__(self) -> None:
        if self.before < 0 or self.after < 0:
            raise ValueError("window widths cannot be negative")

    @property
    def open_day(self) -> int:
        return self.target - self.before

    @property
    def close_day(self) -> int:
        return self.target + self.after

    def contains(self, day: int) -> bool:
        return self.open_day <= day <= self.close_day

    def dates(self, day_zero: dt.date) -> tuple[dt.date, dt.date, dt.date]:
        """(window opens, target date, window closes) as calendar dates.

        >>> Window(7, 2, 3).dates(dt.date(2026, 3, 27))
        (datetime.date(2026, 4, 1), datetime.date(2026, 4, 3), datetime.date(2026, 4, 6))
        """
        return (
            date_of_study_day(day_zero, self.open_day),
            date_of_study_day(day_zero, self.target),
            date_of_study_day(day_zero, self.close_day),
        )


def windows_overlap(a: Window, b: Window) -> bool:
    """True when two windows share at least one study day."""
    return a.open_day <= b.close_day and b.open_day <= a.close_day


def visit_status(
    *,
    window_open: dt.date,
    window_close: dt.date,
    today: dt.date,
    done_on: dt.date | None = None,
    not_done: bool = False,
    cancelled: bool = False,
) -> VisitStatus:
    """Status of a visit on ``today`` (the site-local date).

    - done: *done in window* or *done out of window*, by the date it was done;
    - recorded as not done: *missed*;
    - otherwise by today's date: *upcoming* before the window, *due* while it is open,
      *overdue* once it has closed and nothing has been recorded (a coordinator then records
      it as done late or as missed).
    """
    if cancelled:
        return VisitStatus.CANCELLED
    if done_on is not None:
        in_window = window_open <= done_on <= window_close
        return VisitStatus.DONE_IN_WINDOW if in_window else VisitStatus.DONE_OUT_OF_WINDOW
    if not_done:
        return VisitStatus.MISSED
    if today < window_open:
        return VisitStatus.UPCOMING
    if today <= window_close:
        return VisitStatus.DUE
    return VisitStatus.OVERDUE
