"""Counts with units in the reader's language, fractions included: "12,8 балла", "1 день".

gettext chooses a plural form from an integer, and the three-form Russian and Ukrainian
formulas have no slot for a fraction. CLDR gives every fractional number the "other"
category, which in these languages reads as the genitive singular ("12,8 балла",
"12,8 бала", "0,5 дня"), unlike any integer form. So integers go through ``ngettext`` and
fractions through a second message with the context ``"fractional number"``, translated with
that form; English needs no difference and both messages read "points".

Numbers are formatted for the active language (decimal comma in Russian and Ukrainian) and
negative numbers take a minus sign, not a hyphen.

>>> from django.utils import translation
>>> with translation.override("en"):
...     points(12.8), points(1), days(3)
('12.8 points', '1 point', '3 days')
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.utils.translation import ngettext, pgettext

from neuroregen.core.numbers import Number, number

FRACTION = "fractional number"  # the message context of every fractional form


def _count(
    value: Number | None,
    digits: int,
    whole: Callable[[int], str],
    fraction: Callable[[], str],
) -> str:
    if value is None:
        return "—"
    rounded = round(Decimal(str(value)), digits)
    shown = number(rounded, digits)
    if rounded == rounded.to_integral_value():
        return whole(abs(int(rounded))) % {"n": shown}
    return fraction() % {"n": shown}


def points(value: Number | None, digits: int = 1) -> str:
    """Score points: "1 балл", "3 балла", "12 баллов", "12,8 балла"."""
    return _count(
        value,
        digits,
        lambda n: ngettext("%(n)s point", "%(n)s points", n),
        lambda: pgettext(FRACTION, "%(n)s points"),
    )


def days(value: Number | None, digits: int = 1) -> str:
    """Days: "1 день", "2 дня", "5 дней", "0,5 дня"."""
    return _count(
        value,
        digits,
        lambda n: ngettext("%(n)s day", "%(n)s days", n),
        lambda: pgettext(FRACTION, "%(n)s days"),
    )


UNITS: dict[str, Callable[..., str]] = {"points": points, "days": days}


def with_unit(value: Any, unit: str, digits: int = 1) -> str:
    """``value`` counted in ``unit`` (a key of :data:`UNITS`); for templates."""
    return UNITS[unit](value, digits)
