"""Test codes (``--TESTCD``): at most 8 characters, starting with a letter, unique within a
domain."""

from __future__ import annotations

import re


def testcd(name: str, taken: set[str], prefix: str) -> str:
    """An 8-character test code for a field or score name, unique within the domain."""
    base = re.sub(r"[^A-Z0-9]", "", name.upper())
    if not base or not base[0].isalpha():
        base = "Q" + base
    candidate = base[:8]
    n = 1
    while candidate in taken:
        candidate = f"{prefix[:4].upper()}{n:04d}"[:8]
        n += 1
    taken.add(candidate)
    return candidate
