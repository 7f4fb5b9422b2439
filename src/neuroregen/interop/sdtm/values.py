"""Values as SDTM writes them: study days (no day 0), ISO 8601 dates, numbers."""

from __future__ import annotations

import datetime as dt
from typing import Any


def sdtm_day(reference: dt.date | None, on: dt.date | None) -> int | None:
    """SDTM study day: no day 0 (day 1 is the reference date).

    >>> sdtm_day(dt.date(2026, 1, 10), dt.date(2026, 1, 10)), sdtm_day(dt.date(2026, 1, 10),
    ...     dt.date(2026, 1, 9))
    (1, -1)
    """
    if reference is None or on is None:
        return None
    delta = (on - reference).days
    return delta + 1 if delta >= 0 else delta


def iso(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M")
    return value.isoformat()


def number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
