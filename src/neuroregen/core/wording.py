"""Messages kept as their English text and values, worded in the reader's language when read.

A data query raised by a rule is read for years by people in other languages than the one
active when the rule ran (often none: a batch). So the query keeps the message's msgid and
its values (JSON) beside the English text, and each reader gets it through the catalogue:
numbers with their decimal comma, dates in their words, and an optional translated prefix
(the analyte's or score's name).

>>> from django.utils import translation
>>> kept = wording("%(value)s is outside the expected range %(low)s–%(high)s.",
...                value=12.5, low=0, high=10)
>>> with translation.override("en"):
...     render(kept)
'12.5 is outside the expected range 0–10.'
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from django.utils import formats
from django.utils.translation import gettext

from neuroregen.core.numbers import number, significant

_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _json(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, int | float | str) or value is None:
        return value
    return str(value)


def wording(msgid: str, *, prefix: str = "", **values: Any) -> dict[str, Any]:
    """What :func:`render` needs, as JSON: ``msgid`` must be marked for translation where it is
    written (``gettext_noop``); ``prefix`` is itself a msgid or a name shown as it is."""
    return {"msgid": msgid, "values": {k: _json(v) for k, v in values.items()}, "prefix": prefix}


def _shown(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float):
        return number(value, 1) if abs(value) >= 1 else significant(value, 2)
    if isinstance(value, str) and _ISO_DAY.match(value):
        return formats.date_format(dt.date.fromisoformat(value))
    return str(value)


def render(kept: dict[str, Any]) -> str:
    """The message in the active language."""
    text = gettext(kept["msgid"]) % {k: _shown(v) for k, v in kept.get("values", {}).items()}
    prefix = kept.get("prefix") or ""
    return f"{gettext(prefix)}: {text}" if prefix else text
