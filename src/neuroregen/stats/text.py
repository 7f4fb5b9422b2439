"""Words the statistics say, kept translatable without importing Django.

A :class:`Text` *is* its English sentence (a ``str``), so CSV and JSON exports, joins and
comparisons keep working unchanged; it also carries the English ``template`` (a
``str.format`` pattern with named fields, the gettext msgid) and the ``params`` that fill it.
A presenting layer that knows the reader's language (``neuroregen.core.stats_text``)
translates the template and formats the numbers for that locale.

Numbers go in as numbers, never pre-formatted: the template's format spec (``{p:.3f}``) fixes
the digits, the locale fixes the decimal mark. ``NaN`` reads "n/a" and infinities "∞" / "−∞",
as everywhere else in the package. A param may itself be a :class:`Text`; it is rendered (and
later translated) in place.

Example
-------
>>> t = text("{n} children lost response; median {m:.1f} days", n=3, m=120.25)
>>> t
'3 children lost response; median 120.2 days'
>>> t.template, dict(t.params)
('{n} children lost response; median {m:.1f} days', {'n': 3, 'm': 120.25})
"""

from __future__ import annotations

import math
import string
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

__all__ = [
    "NOT_AVAILABLE",
    "Text",
    "exception_reason",
    "fields_of",
    "render",
    "template",
    "text",
    "text_join",
]


_FORMATTER = string.Formatter()


def fields_of(template: str) -> list[tuple[str, str]]:
    """The ``(name, format_spec)`` of every replacement field of *template*, in order."""
    return [
        (name, spec or "")
        for _literal, name, spec, _conv in _FORMATTER.parse(template)
        if name is not None
    ]


def special_number(value: Any) -> str | None:
    """What a missing or infinite float reads as; ``None`` for any other value."""
    if isinstance(value, float):
        if math.isnan(value):
            return NOT_AVAILABLE
        if math.isinf(value):
            return "∞" if value > 0 else "−∞"
    return None


def render(template: str, params: Mapping[str, Any]) -> str:
    """Fill *template* with *params* in English (nested texts as their English value)."""
    values: dict[str, Any] = {}
    for name, _spec in fields_of(template):
        value = params[name]
        special = special_number(value)
        # a missing number must not reach a float format spec ("nan" would show instead)
        values[name] = special if special is not None else value
    return _FORMATTER.vformat(_plain_specs(template, values), (), values)


def _plain_specs(template: str, values: Mapping[str, Any]) -> str:
    """*template* with the format spec dropped from fields whose value became a word."""
    out: list[str] = []
    for literal, name, spec, conv in _FORMATTER.parse(template):
        out.append(literal.replace("{", "{{").replace("}", "}}"))
        if name is None:
            continue
        keep_spec = spec and not isinstance(values[name], str)
        out.append(
            "{" + name + (f"!{conv}" if conv else "") + (f":{spec}" if keep_spec else "") + "}"
        )
    return "".join(out)


class Text(str):
    """An English sentence that remembers how it was made, so it can be said in another
    language.

    Attributes
    ----------
    template : str
        The English pattern with named ``{fields}``; the gettext msgid.
    params : mapping
        The values of the fields: numbers, strings or nested :class:`Text`.
    """

    template: str
    params: Mapping[str, Any]

    def __new__(cls, template: str, params: Mapping[str, Any] | None = None) -> Text:
        frozen = MappingProxyType(dict(params or {}))
        obj = super().__new__(cls, render(template, frozen))
        obj.template = template
        obj.params = frozen
        return obj

    def __reduce__(self) -> tuple[Any, ...]:
        # pickled by the evidence cache; a mappingproxy itself cannot be pickled
        return (Text, (self.template, dict(self.params)))

    def __repr__(self) -> str:
        return str.__repr__(str(self))


def text(template: str, /, **params: Any) -> Text:
    """A :class:`Text` from an English *template* and its named *params*."""
    return Text(template, params)


def template(msgid: str, /) -> str:
    """Mark *msgid* as a :class:`Text` template filled later (a table of sentences chosen at
    run time); returned unchanged. ``makemessages`` extracts it like :func:`text`."""
    return msgid


#: What a missing number reads as (also a msgid, so it is translated with the rest).
NOT_AVAILABLE = template("n/a")


def text_join(parts: tuple[Any, ...] | list[Any], separator: str = "; ") -> Text:
    """Several texts as one, each still translatable (e.g. caveats joined by "; ")."""
    params = {f"part{i}": part for i, part in enumerate(parts)}
    template = (
        separator.replace("{", "{{").replace("}", "}}").join("{" + name + "}" for name in params)
    )
    return Text(template, params)


def exception_reason(exc: BaseException) -> str:
    """Why *exc* was raised: its :class:`Text` when it carries one (so the reason can still be
    translated), else its English message."""
    if exc.args and isinstance(exc.args[0], Text):
        return exc.args[0]
    return str(exc)
