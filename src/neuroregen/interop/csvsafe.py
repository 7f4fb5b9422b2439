"""CSV writing that cannot smuggle a formula into a spreadsheet.

A cell starting with ``=``, ``+``, ``-``, ``@`` (or a tab / carriage return, which some
spreadsheets skip before reading a formula) is prefixed with an apostrophe, as OWASP advises.
Plain numbers such as ``-3`` or ``-0.5`` are left alone: they are data, not formulas, and a
negative score must survive a round trip.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def neutralise(value: Any) -> str:
    """The cell text, made inert if a spreadsheet would read it as a formula.

    >>> neutralise("=HYPERLINK(\\"http://x\\")")
    '\\'=HYPERLINK("http://x")'
    >>> neutralise("-3"), neutralise("@SUM(A1)"), neutralise("ok")
    ('-3', "'@SUM(A1)", 'ok')
    """
    text = "" if value is None else str(value)
    if text.startswith(TRIGGERS) and not NUMBER.match(text):
        return "'" + text
    return text


def unneutralise(text: str) -> str:
    """Undo :func:`neutralise` when reading back a file this system wrote."""
    if text.startswith("'") and text[1:].startswith(TRIGGERS) and not NUMBER.match(text[1:]):
        return text[1:]
    return text


def write_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """CSV text (RFC 4180, CRLF) with every cell neutralised, the header included."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow([neutralise(v) for v in row])
    return out.getvalue()
