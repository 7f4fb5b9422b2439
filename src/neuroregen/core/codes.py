"""System-generated identifiers with a check character.

Codes are random (never derived from a name, national ID or record number, 21 CFR 1271.290),
use Crockford's base-32 alphabet (no I, L, O, U: nothing to misread on a label), and end with two
ISO 7064 MOD 97-10 check digits computed over the body's base-32 value (as in IBAN). Because 97
is prime and larger than the alphabet, every single-character error and every swap of two
adjacent characters changes the check, so a mistyped or misread code is caught before lookup.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_N = len(ALPHABET)


def check_character(body: str) -> str:
    """ISO 7064 MOD 97-10 check digits (two characters) over the base-32 value of ``body``."""
    value = 0
    for char in body:
        value = value * _N + ALPHABET.index(char)
    return f"{98 - (value * 100) % 97:02d}"


def new_code(prefix: str, length: int = 6) -> str:
    """A fresh code such as ``P-7KQ2MX-42`` (prefix, random body, check digits)."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(length))
    return f"{prefix}-{body}-{check_character(body)}"


def unused_code(prefix: str, *, taken: Callable[[str], bool]) -> str:
    """A fresh code that ``taken`` reports as not yet in use (collisions are rare; retry)."""
    while True:
        code = new_code(prefix)
        if not taken(code):
            return code


def is_valid(code: str) -> bool:
    """True if ``code`` is well formed and its check character matches."""
    parts = code.strip().upper().split("-")
    if len(parts) != 3:
        return False
    _prefix, body, check = parts
    if not body or any(c not in ALPHABET for c in body) or len(check) != 2:
        return False
    return check_character(body) == check
