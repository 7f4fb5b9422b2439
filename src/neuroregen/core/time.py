"""One time model: people enter and read times in the SITE's zone; storage is UTC.

Every clinical record belongs to a site, and every site has an IANA time zone
(``Site.time_zone``). Whatever the server's ``TIME_ZONE`` or the viewer's browser, a time a
person types is a wall-clock time at the record's site, and a stored moment is shown back in
that zone with its abbreviation ("11:40 EST", "11:40 +05"), so nobody has to guess.

Helpers here: the zone of a record, now at a site, turning an entered (naive) wall time into an
aware moment with daylight-saving gaps and folds refused explicitly, and display formatting.
Study days, phases and windows stay in ``protocols.timeline``, which uses these zones.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _

__all__ = [
    "AmbiguousLocalTime",
    "LocalTimeError",
    "NonexistentLocalTime",
    "end_of_site_day",
    "format_at",
    "is_time_zone",
    "latest_site_today",
    "make_aware_at",
    "now_at",
    "offset_label",
    "site_today",
    "site_zone_name",
    "to_site",
    "validate_time_zone",
    "zone",
]

DISPLAY_FORMAT = "Y-m-d H:i"

# Attributes followed, in order, from a record to the site it belongs to.
_SITE_PATHS = ("site", "participant", "event", "response", "lot", "container", "visit")


@functools.cache
def _known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_time_zone(name: object) -> bool:
    """True when ``name`` is an IANA time zone this system knows (e.g. "America/New_York")."""
    return isinstance(name, str) and name in _known_zones()


def validate_time_zone(value: str) -> None:
    """Django validator: the value is a real IANA time zone name."""
    if not is_time_zone(value):
        raise ValidationError(
            _(
                "“%(value)s” is not an IANA time zone. Use a name such as Europe/Kyiv, "
                "America/New_York or UTC."
            ),
            code="invalid_time_zone",
            params={"value": value},
        )


def zone(tz_name: str) -> zoneinfo.ZoneInfo:
    """The ``ZoneInfo`` of an IANA name; ``ValueError`` names the unknown zone."""
    if not is_time_zone(tz_name):
        raise ValueError(f"unknown time zone {tz_name!r}")
    return zoneinfo.ZoneInfo(tz_name)


def site_zone_name(where: Any) -> str:
    """The IANA zone of ``where``: a zone name, a site, or a record belonging to a site.

    A record reaches its site through ``site``, ``participant``, ``event``, ``response``,
    ``lot``, ``container`` or ``visit`` (an adverse event's clock → event → participant → site).
    """
    seen = 0
    while where is not None and seen < 6:
        if isinstance(where, str):
            return where
        tz_name = getattr(where, "time_zone", None)
        if isinstance(tz_name, str):
            return tz_name
        where = next(
            (getattr(where, a) for a in _SITE_PATHS if getattr(where, a, None) is not None),
            None,
        )
        seen += 1
    raise ValueError("the record does not belong to a site with a time zone")


def now_at(where: Any, *, now: dt.datetime | None = None) -> dt.datetime:
    """The current moment as wall time at the site, to the minute (a form's default)."""
    moment = now or dt.datetime.now(tz=dt.UTC)
    return moment.astimezone(zone(site_zone_name(where))).replace(second=0, microsecond=0)


def site_today(where: Any, *, now: dt.datetime | None = None) -> dt.date:
    """Today's calendar date at the site of ``where`` (not the server's UTC date).

    The clock is Django's ``timezone.now`` so one patched clock moves every "today" together.

    >>> site_today("Europe/Kyiv", now=dt.datetime(2026, 3, 1, 22, 30, tzinfo=dt.UTC))
    datetime.date(2026, 3, 2)
    """
    moment = now or timezone.now()
    return moment.astimezone(zone(site_zone_name(where))).date()


def latest_site_today(zones: Iterable[str], *, now: dt.datetime | None = None) -> dt.date:
    """The latest "today" among the sites in ``zones`` (UTC's when there are none).

    The "as of" date of a report spanning several sites: data entered today at the site that
    is furthest ahead is included, so an earlier date would understate what the report holds.
    """
    moment = now or timezone.now()
    return max((site_today(z, now=moment) for z in set(zones)), default=moment.date())


def end_of_site_day(day: dt.date, where: Any) -> dt.datetime:
    """The last instant of calendar ``day`` at the site (a deadline "by the end of the day").

    >>> end_of_site_day(dt.date(2026, 3, 8), "Europe/Kyiv").isoformat()
    '2026-03-08T23:59:59.999999+02:00'
    """
    return dt.datetime.combine(day, dt.time.max, tzinfo=zone(site_zone_name(where)))


def to_site(moment: dt.datetime, where: Any) -> dt.datetime:
    """An aware moment as wall time at the site of ``where``."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a stored moment must be timezone-aware")
    return moment.astimezone(zone(site_zone_name(where)))


class LocalTimeError(ValueError):
    """An entered wall time does not name exactly one moment at the site."""

    code = "local_time"

    def __init__(self, message: str, *, choices: tuple[dt.datetime, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.choices = choices


class NonexistentLocalTime(LocalTimeError):
    """The wall time falls in a daylight-saving gap: clocks skipped it."""

    code = "nonexistent_time"


class ImplausibleLocalTime(LocalTimeError):
    """The wall time is outside the years a clinical record can hold (a typing slip such as
    year 1, which cannot even be converted to UTC near the start of the calendar)."""

    code = "implausible_time"


#: Years a typed moment may fall in; anything outside is a typing mistake, not a record.
PLAUSIBLE_YEARS = range(1900, 2201)


class AmbiguousLocalTime(LocalTimeError):
    """The wall time happened twice (clocks went back): ``choices`` holds both moments."""

    code = "ambiguous_time"


def offset_label(moment: dt.datetime) -> str:
    """ "01:30 EST (UTC−05:00)": wall time, zone abbreviation and offset from UTC."""
    offset = moment.utcoffset() or dt.timedelta()
    sign = "+" if offset >= dt.timedelta() else "−"
    minutes = abs(int(offset.total_seconds())) // 60
    utc = f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    return f"{moment:%H:%M} {moment.tzname()} ({utc})"


def make_aware_at(value: dt.datetime, tz_name: str, *, fold: int | None = None) -> dt.datetime:
    """The moment a wall time ``value`` typed at a site in ``tz_name`` names.

    An aware ``value`` already names its moment and is returned unchanged. A wall time in a
    daylight-saving gap raises :class:`NonexistentLocalTime`; one that happened twice raises
    :class:`AmbiguousLocalTime` unless ``fold`` says which (0 = first, 1 = second).

    The moment is returned in UTC: Python compares and subtracts datetimes of one zone by
    wall time, ignoring ``fold``, so a site-zone result would misorder the second 01:30.

    >>> make_aware_at(dt.datetime(2026, 1, 5, 11, 40), "America/New_York").isoformat()
    '2026-01-05T16:40:00+00:00'
    """
    if value.year not in PLAUSIBLE_YEARS:
        raise ImplausibleLocalTime(
            _("%(year)s is not a plausible year for this record (%(low)s–%(high)s).")
            % {"year": value.year, "low": PLAUSIBLE_YEARS[0], "high": PLAUSIBLE_YEARS[-1]}
        )
    if value.tzinfo is not None and value.utcoffset() is not None:
        return value
    tz = zone(tz_name)
    first = value.replace(tzinfo=tz, fold=0)
    second = value.replace(tzinfo=tz, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first.astimezone(dt.UTC)
    round_trip = first.astimezone(dt.UTC).astimezone(tz).replace(tzinfo=None)
    wall = value.replace(tzinfo=None)
    if round_trip != wall:
        # Read with the offset in force before the jump, the typed time lands just after it:
        # the likeliest meaning of a clock that was not yet moved forward.
        meant = first.astimezone(dt.UTC).astimezone(tz)
        raise NonexistentLocalTime(
            _(
                "%(time)s does not exist in %(zone)s: the clocks moved forward past it "
                "(daylight-saving change). Check the time — did you mean %(meant)s?"
            )
            % {
                "time": dateformat.format(wall, DISPLAY_FORMAT),
                "zone": tz_name,
                "meant": format_at(meant, tz_name),
            },
            choices=(meant,),
        )
    if fold is not None:
        return (second if fold else first).astimezone(dt.UTC)
    raise AmbiguousLocalTime(
        _(
            "%(time)s happened twice in %(zone)s (the clocks went back): first at %(first)s, "
            "then at %(second)s. Choose which one."
        )
        % {
            "time": dateformat.format(wall, DISPLAY_FORMAT),
            "zone": tz_name,
            "first": offset_label(first),
            "second": offset_label(second),
        },
        choices=(first, second),
    )


def format_at(moment: dt.datetime | None, where: Any, fmt: str = DISPLAY_FORMAT) -> str:
    """``moment`` as wall time at the site of ``where`` with its zone: "2026-01-05 11:40 EST"."""
    if moment is None:
        return ""
    local = to_site(moment, where)
    return f"{dateformat.format(local, fmt)} {local.tzname()}"
