"""Model validation as domain errors: every field's problem at once, never a bare 500.

``Model.full_clean()`` raises Django's ``ValidationError``, which no view or API handler maps to
a response; services call :func:`full_clean_or_fail` instead so range and length problems reach
the person as the usual 422 / inline form messages.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError

from neuroregen.core.errors import ValidationFailed


def model_errors(obj: Any, *, exclude: Iterable[str] | None = None) -> dict[str, str]:
    """``{field: message}`` for every problem ``full_clean`` finds (``__all__`` for the rest)."""
    try:
        obj.full_clean(exclude=list(exclude) if exclude is not None else None)
    except DjangoValidationError as exc:
        return {
            field: " ".join(str(message) for message in messages)
            for field, messages in exc.message_dict.items()
        }
    return {}


def full_clean_or_fail(
    obj: Any, *, exclude: Iterable[str] | None = None, errors: dict[str, str] | None = None
) -> None:
    """Raise one :class:`ValidationFailed` carrying ``errors`` plus every model problem."""
    found = {**(errors or {})}
    for field, message in model_errors(obj, exclude=exclude).items():
        found.setdefault(field, message)
    if NON_FIELD_ERRORS in found:
        # the non-field message leads only when no field is to blame
        found[NON_FIELD_ERRORS] = found.pop(NON_FIELD_ERRORS)
    ValidationFailed.raise_for(found)
