"""Character values as XPT v5 takes them: ASCII only, at most 200 bytes, names shortened at a
word boundary.

Transliteration is :mod:`anyascii` (ISC licence): "α" → "a", "–" → "-", "ё" → "e", "µ" → "u".
Greek letters come out as their Latin letter; where the letter is a word of its own in our terms
(TNF-α, IL-1β, IFN-γ) it is spelt out first, as CDISC does ("Tumor Necrosis Factor Alpha").
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
from anyascii import anyascii

LIMIT = 200  # bytes of a character value in XPT v5
# spelt out, as CDISC CT spells them, before the rest is transliterated
_GREEK = {"α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "θ": "theta", "κ": "kappa"}
_TAGS = re.compile(r"<[^>]+>")


def ascii_text(value: str) -> str:
    """``value`` in ASCII: Greek letters spelt out, the rest transliterated, markup removed."""
    if value.isascii():
        return value
    for letter, word in _GREEK.items():
        value = value.replace(letter, word).replace(letter.upper(), word.capitalize())
    return anyascii(value)


def plain(value: str) -> str:
    """A label as text: no HTML tags, spaces collapsed, ASCII."""
    return ascii_text(" ".join(_TAGS.sub(" ", value).split()))


def shorten(value: str, width: int) -> str:
    """``value`` in at most ``width`` characters, cut at a word boundary (never inside a word;
    a single word longer than ``width`` is the only thing ever cut)."""
    if len(value) <= width:
        return value
    cut = value[: width + 1].rsplit(" ", 1)[0].rstrip(" ,;:-(/")
    return cut if cut and len(cut) <= width else value[:width]


def split200(value: str) -> list[str]:
    """``value`` in pieces of at most 200 characters, split between words where possible
    (SDTMIG 4.5.3.2: the first piece in the variable, the others in SUPP--)."""
    pieces = []
    while len(value) > LIMIT:
        head = shorten(value, LIMIT)
        pieces.append(head)
        value = value[len(head) :].lstrip()
    pieces.append(value)
    return pieces


def is_text(series: Any) -> bool:
    """A column of text: ``object`` (mixed, pandas 2) or the string dtype (pandas 3)."""
    return series.dtype == object or pd.api.types.is_string_dtype(series.dtype)
