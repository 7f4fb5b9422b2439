"""Coded errors of the instruments app."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from neuroregen.core.errors import Conflict, DomainError, ValidationFailed


class DictionaryRejected(ValidationFailed):
    """The dictionary has problems; each is listed with its line and column. Nothing imported."""

    code = "dictionary_rejected"
    default_message = _("The data dictionary was rejected; nothing was imported.")

    def __init__(self, problems: list[Any], message: Any = None) -> None:
        self.problems = problems
        super().__init__(message, count=len(problems))


class AnswersInvalid(ValidationFailed):
    """Some answers cannot be stored; ``errors`` maps field name → message."""

    code = "answers_invalid"
    default_message = _("Some answers are not valid; nothing was saved.")

    def __init__(self, errors: dict[str, str], message: Any = None) -> None:
        self.errors = errors
        super().__init__(message)

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "errors": {k: str(v) for k, v in self.errors.items()}}


class ResponseConflict(Conflict):
    """Someone else saved the form since it was opened. ``changes`` says what they changed."""

    code = "response_conflict"
    default_message = _(
        "Someone else saved this form after you opened it. Your answers were not saved; "
        "review their changes below and save again."
    )

    def __init__(
        self, changes: list[dict[str, Any]], current_version: int, message: Any = None
    ) -> None:
        self.changes = changes
        self.current_version = current_version
        super().__init__(message)


class LinkUnusable(DomainError):
    """A questionnaire link that is unknown, tampered with, expired, revoked or already used."""

    code = "link_unusable"
    status = 410
    default_message = _("This questionnaire link can no longer be used.")


class LinkNotFound(LinkUnusable):
    code = "link_not_found"
    status = 404
    default_message = _("This questionnaire link is not valid.")


class FormIncomplete(AnswersInvalid):
    """A form cannot be complete (or verified) while required items are unanswered.

    ``missing_items`` lists every such item in form order; ``errors`` holds a message for each,
    together with any answers that are not valid, so a page can show them all at once.
    """

    code = "form_incomplete"
    default_message = _(
        "The form cannot be complete: answer every required question or give it a "
        "missing-data code."
    )

    def __init__(
        self, missing_items: list[str], errors: dict[str, str], message: Any = None
    ) -> None:
        self.missing_items = missing_items
        super().__init__(errors, message)

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "missing_items": list(self.missing_items)}
