"""Encryption at rest for identity fields, and blind indexes to find a person without decrypting.

Values are Fernet tokens (AES-128-CBC + HMAC-SHA256) under a MultiFernet built from
``settings.FIELD_ENCRYPTION_KEYS``: the first key encrypts, every key decrypts, so keys can be
rotated (``neuroregen rotate_identity_keys``) without losing data. A blind index is an
HMAC-SHA256 of a normalised value under a separate key: equal inputs give equal indexes, so a
lookup by name and birth date is an equality query on the index column.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


@lru_cache(maxsize=8)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(k.encode()) for k in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:  # a key was removed before its data was rotated
        raise ValueError("Identity field cannot be decrypted with the configured keys.") from exc


def rotate(token: str) -> str:
    """Re-encrypt ``token`` under the primary key."""
    return fernet().rotate(token.encode()).decode()


def normalise(value: str) -> str:
    """Case-, accent- and spacing-insensitive form used for blind indexes."""
    decomposed = unicodedata.normalize("NFKD", value)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def blind_index(*parts: str) -> str:
    message = "\x1f".join(normalise(p) for p in parts).encode()
    return hmac.new(settings.BLIND_INDEX_KEY.encode(), message, hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):
    """A text field stored as a Fernet token; the database never holds the plaintext."""

    description = "Text encrypted at rest"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        return None if value is None else decrypt(value)

    def get_prep_value(self, value: Any) -> str | None:
        value = super().get_prep_value(value)
        if value is None:
            return None
        return encrypt(str(value))

    def get_internal_type(self) -> str:
        return "TextField"
