"""Coded domain errors, mapped to HTTP responses in one place (middleware and API).

Each error carries a stable ``code`` (never changes, safe for clients and tests), a translated
message for people, and the HTTP status it maps to. Services raise these; views never build
error responses by hand.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """Base class: a rule of the domain was broken; nothing was changed."""

    code: ClassVar[str] = "domain_error"
    status: ClassVar[int] = 400
    default_message: ClassVar[Any] = _("The request could not be carried out.")

    def __init__(self, message: Any = None, *, field: str | None = None, **params: Any) -> None:
        self.message = str(message if message is not None else self.default_message)
        self.field = field
        self.params = params
        super().__init__(self.message)

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        if self.params:
            body["params"] = {k: str(v) for k, v in self.params.items()}
        return body


class NotPermitted(DomainError):
    code = "not_permitted"
    status = 403
    default_message = _("You do not have permission to do this.")


class NotFound(DomainError):
    code = "not_found"
    status = 404
    default_message = _("Not found.")


class ValidationFailed(DomainError):
    code = "validation_failed"
    status = 422
    default_message = _("The data is not valid.")

    @classmethod
    def raise_for(cls, errors: dict[str, str]) -> None:
        """Raise for the first of ``errors`` (field → message), carrying all of them."""
        if errors:
            field, message = next(iter(errors.items()))
            error = cls(message, field=field)
            error.errors = errors  # type: ignore[attr-defined]
            raise error


class Conflict(DomainError):
    code = "conflict"
    status = 409
    default_message = _("The record was changed by someone else; reload and try again.")


class AppendOnlyError(Conflict):
    code = "append_only"
    default_message = _("This entry is part of an append-only timeline: record a correction.")


class ReasonRequired(ValidationFailed):
    code = "reason_required"
    default_message = _("A reason for change is required when editing recorded data.")


class SignatureRejected(DomainError):
    code = "signature_rejected"
    status = 403
    default_message = _("The electronic signature was rejected: the password is not correct.")


class DataEntryBlocked(DomainError):
    code = "data_entry_blocked"
    status = 409
    default_message = _("Consent has been withdrawn: this data can no longer be recorded.")


class InvalidTransition(Conflict):
    code = "invalid_transition"
    default_message = _("This change of status is not allowed from the current status.")
