"""Reporting clocks of serious adverse events. Pure: values in, dates and states out.

From the moment the site became aware of a serious adverse event:

- the investigator reports to the sponsor immediately — the clock allows 24 hours;
- an IND safety report (21 CFR 312.32(c)) is due within **7 calendar days** for an unexpected
  fatal or life-threatening suspected adverse reaction, and within **15 calendar days** for any
  other serious and unexpected suspected adverse reaction.

Calendar days are counted on the site's calendar (through ``protocols.timeline.local_date``): the
awareness date is day 0 and the report is due by the end of day 7 (or 15) in the site's time
zone, however many hours daylight-saving changes give those days. The 24-hour clock is
elapsed time. "Suspected" means a reasonable possibility that the *product* caused the event
(relatedness possible, probable or definite); procedure relatedness alone does not make an
IND safety report.
"""

from __future__ import annotations

import datetime as dt

from neuroregen.core.time import end_of_site_day
from neuroregen.protocols.timeline import local_date
from neuroregen.safety.choices import ClockKind, ClockState, Expectedness, Relatedness

__all__ = ["clock_state", "due_at", "required_clocks"]

CALENDAR_DAYS = {ClockKind.IND_7_DAY: 7, ClockKind.IND_15_DAY: 15}


def required_clocks(
    *,
    serious: bool,
    fatal_or_life_threatening: bool,
    expectedness: str,
    relatedness_product: str,
) -> list[ClockKind]:
    """The clocks an event starts, in order.

    >>> [k.value for k in required_clocks(serious=True, fatal_or_life_threatening=True,
    ...     expectedness="unexpected", relatedness_product="probable")]
    ['sponsor_24h', 'ind_7d']
    >>> [k.value for k in required_clocks(serious=True, fatal_or_life_threatening=False,
    ...     expectedness="expected", relatedness_product="definite")]
    ['sponsor_24h']
    """
    if not serious:
        return []
    kinds = [ClockKind.INVESTIGATOR_TO_SPONSOR]
    suspected = relatedness_product in Relatedness.suspected()
    if suspected and expectedness == Expectedness.UNEXPECTED:
        kinds.append(ClockKind.IND_7_DAY if fatal_or_life_threatening else ClockKind.IND_15_DAY)
    return kinds


def due_at(kind: str, aware_at: dt.datetime, tz_name: str) -> dt.datetime:
    """When a clock of ``kind`` started at ``aware_at`` runs out (timezone-aware).

    >>> aware = dt.datetime(2026, 3, 1, 21, 30, tzinfo=dt.UTC)   # 23:30 in Kyiv, 1 March
    >>> due_at("ind_7d", aware, "Europe/Kyiv").isoformat()
    '2026-03-08T23:59:59.999999+02:00'
    >>> due_at("sponsor_24h", aware, "Europe/Kyiv").isoformat()
    '2026-03-02T21:30:00+00:00'
    """
    if aware_at.tzinfo is None or aware_at.utcoffset() is None:
        raise ValueError("the awareness moment must be timezone-aware")
    if kind == ClockKind.INVESTIGATOR_TO_SPONSOR:
        return aware_at + dt.timedelta(hours=24)
    day = local_date(aware_at, tz_name) + dt.timedelta(days=CALENDAR_DAYS[ClockKind(kind)])
    return end_of_site_day(day, tz_name)


def clock_state(
    *, due: dt.datetime, submitted_at: dt.datetime | None, required: bool, now: dt.datetime
) -> ClockState:
    """Due, overdue, submitted (on time or late) or no longer required."""
    if submitted_at is not None:
        return ClockState.SUBMITTED if submitted_at <= due else ClockState.SUBMITTED_LATE
    if not required:
        return ClockState.NOT_REQUIRED
    return ClockState.OVERDUE if now > due else ClockState.DUE
