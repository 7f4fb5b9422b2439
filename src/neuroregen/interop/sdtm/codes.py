"""Test codes (``--TESTCD``): at most 8 characters, starting with a letter, unique within a
domain; one per distinct test, the same in every export of the same data."""

from __future__ import annotations

import re
from collections.abc import Mapping

from neuroregen.interop.errors import CodeSpaceExhausted

SERIALS = 9999  # a prefix's numbered codes, PREF0001 … PREF9999 (8 characters)

Test = tuple[str, str]  # (instrument code, field or score name)


def testcd(name: str, taken: set[str], prefix: str) -> str:
    """An 8-character test code for a field or score name, unique within the domain: the name
    itself, shortened, when free; otherwise the first free numbered code of ``prefix``."""
    base = re.sub(r"[^A-Z0-9]", "", name.upper())
    if not base or not base[0].isalpha():
        base = "Q" + base
    candidate = base[:8]
    stem = prefix[:4].upper()
    n = 1
    while candidate in taken:
        if n > SERIALS:
            raise CodeSpaceExhausted(prefix=stem, count=SERIALS)
        candidate = f"{stem}{n:04d}"
        n += 1
    taken.add(candidate)
    return candidate


def assign(wanted: Mapping[Test, tuple[str, str]]) -> dict[Test, str]:
    """The code of each test in ``wanted`` (test → the name and prefix its code is made from).

    Made once per test, in the tests' sorted order: which of two colliding names keeps its
    own code then depends on the names, not on which child's row came first.
    """
    taken: set[str] = set()
    codes: dict[Test, str] = {}
    for test in sorted(wanted):
        name, prefix = wanted[test]
        codes[test] = testcd(name, taken, prefix)
    return codes
