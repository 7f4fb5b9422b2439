"""Numbers in people's text, formatted for the active language (decimal comma in ru and uk).

Machine exports (CSV, JSON, XPT) keep their own formatting; this is for pages and messages.

>>> from django.utils import translation
>>> with translation.override("ru"):
...     number(12.75, 1), significant(Decimal("2.5e6")), significant(0.000123456)
('12,8', '2,5 × 10⁶', '0,000123')
"""

from __future__ import annotations

from decimal import Decimal

from django.utils import formats

Number = int | float | Decimal

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def number(value: Number, digits: int = 1) -> str:
    """``value`` with at most ``digits`` decimals (none if it is whole), minus sign not hyphen."""
    rounded = round(Decimal(str(value)), digits)
    places = 0 if rounded == rounded.to_integral_value() else digits
    text = formats.number_format(rounded, decimal_pos=places, use_l10n=True)
    return text.replace("-", "−")


def significant(value: Number, digits: int = 3) -> str:
    """``value`` to ``digits`` significant figures, as ``f"{value:.3g}"`` but localised; a
    very large or small number reads as "2,5 × 10⁶" rather than "2.5e+06"."""
    text = f"{Decimal(str(value)):.{digits}g}"
    mantissa, _e, exponent = text.lower().partition("e")
    places = len(mantissa.partition(".")[2])
    shown = formats.number_format(Decimal(mantissa), decimal_pos=places, use_l10n=True)
    shown = shown.replace("-", "−")
    if exponent:
        shown += " × 10" + str(int(exponent)).translate(_SUPERSCRIPT)
    return shown
