"""The statistics' words in the reader's language.

``neuroregen.stats`` cannot import Django, so it returns :class:`~neuroregen.stats.text.Text`
(an English ``str`` carrying its msgid template and params). :func:`localise` translates the
template with gettext and formats every number for the active locale (a decimal comma in
ru/uk); nested texts are localised the same way. Machine-readable exports keep the English
``str`` value and never call this.
"""

from __future__ import annotations

import re
import string
from decimal import Decimal
from typing import Any

from django.utils import translation
from django.utils.formats import number_format
from django.utils.translation import gettext

from neuroregen.stats.text import Text, special_number

__all__ = ["localise"]

_FORMATTER = string.Formatter()
# the format specs the statistics use for numbers: fixed decimals or a percentage
_FIXED = re.compile(r"^(?P<digits>\d+)?\.(?P<places>\d+)(?P<kind>[f%])$")


def localise(value: Any, language: str | None = None) -> Any:
    """*value* said in *language* (default: the active language).

    A :class:`Text` is translated and its params formatted for the locale; any other ``str``
    is looked up in the catalogue (unchanged when it is not a msgid); other values pass through.
    """
    if language is None:
        return _localise(value)
    with translation.override(language):
        return _localise(value)


def _localise(value: Any) -> Any:
    if isinstance(value, Text):
        return _text(value)
    if isinstance(value, str):
        return gettext(value) if value else value
    return value


def _text(value: Text) -> str:
    translated = gettext(value.template)
    try:
        return _fill(translated, value.params)
    except (KeyError, ValueError, IndexError):
        # a catalogue entry that does not match its msgid's fields must not break a page:
        # say it in English, with locale numbers
        return _fill(value.template, value.params)


def _fill(template: str, params: Any) -> str:
    out: list[str] = []
    for literal, name, spec, _conv in _FORMATTER.parse(template):
        out.append(literal)
        if name is not None:
            out.append(_param(params[name], spec or ""))
    return "".join(out)


def _param(value: Any, spec: str) -> str:
    special = special_number(value)
    if special is not None:
        return gettext(special)
    if isinstance(value, Text | str):
        return str(_localise(value))
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | Decimal):
        return _number(value, spec)
    return format(value, spec)


def _number(value: float | Decimal, spec: str) -> str:
    fixed = _FIXED.match(spec)
    if fixed:
        places = int(fixed["places"])
        if fixed["kind"] == "%":
            # same digits as the English rendering, then the locale's decimal mark
            percent = Decimal(format(value * 100, f".{places}f"))
            return number_format(percent, decimal_pos=places) + "%"
        return number_format(Decimal(format(value, f".{places}f")), decimal_pos=places)
    if spec.endswith("g") or not spec:
        # general format ("{cutoff:g}", or no spec): the English digits, the locale's mark
        english = format(value, spec) if spec else str(value)
        if "e" in english or "inf" in english or "nan" in english:
            return english
        return number_format(Decimal(english))
    return format(value, spec)
