"""Test codes (``--TESTCD``): at most 8 characters, starting with a letter, unique within a
domain; one per distinct test, and the same in every export: a code, once given to a test, is
kept in :class:`~neuroregen.interop.models.SdtmCode` and never given to another test."""

from __future__ import annotations

import re
from collections.abc import Mapping

from django.db import IntegrityError, transaction

from neuroregen.interop.errors import CodeSpaceExhausted

SERIALS = 9999  # a prefix's numbered codes, PREF0001 … PREF9999 (8 characters)
ATTEMPTS = 3  # another export may give the same free code at the same moment: try again

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


def stored_key(test: Test) -> str:
    """How a test is stored in the code table: ``instrument/name``."""
    return f"{test[0]}/{test[1]}"


def assign(
    wanted: Mapping[Test, tuple[str, str]],
    space: str = "QS",
    fixed: Mapping[Test, str] | None = None,
) -> dict[Test, str]:
    """The code of each test in ``wanted`` (test → the name and prefix its code is made from).

    ``fixed`` holds the codes controlled terminology gives (CDISC CT): never made for another
    test, and used as they are.

    Tests already in the code table keep their code; new ones get a code made from their name
    (in the tests' sorted order, so which of two colliding names keeps its own code depends on
    the names, not on which child's row came first) and are stored before the export uses them.
    """
    for attempt in range(ATTEMPTS):
        try:
            with transaction.atomic():
                return _assign(wanted, space, fixed or {})
        except IntegrityError:  # a concurrent export stored one of these codes first
            if attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _assign(
    wanted: Mapping[Test, tuple[str, str]], space: str, fixed: Mapping[Test, str]
) -> dict[Test, str]:
    from neuroregen.interop.models import SdtmCode

    stored = dict(SdtmCode.objects.filter(space=space).values_list("test", "code"))
    taken = set(stored.values()) | set(fixed.values())
    codes: dict[Test, str] = {}
    new: list[SdtmCode] = []
    for test in sorted(wanted):
        key = stored_key(test)
        if key in stored:
            codes[test] = stored[key]
            continue
        if test in fixed:
            codes[test] = fixed[test]
            new.append(SdtmCode(space=space, test=key, code=fixed[test]))
            continue
        name, prefix = wanted[test]
        codes[test] = testcd(name, taken, prefix)
        new.append(SdtmCode(space=space, test=key, code=codes[test]))
    SdtmCode.objects.bulk_create(new)
    return codes
