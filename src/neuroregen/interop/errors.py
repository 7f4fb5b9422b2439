"""Coded errors of the interop app."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from neuroregen.core.errors import ValidationFailed


class ImportRejected(ValidationFailed):
    """The file has problems; each is listed with where and which column. Nothing imported."""

    code = "import_rejected"
    default_message = _("The file was rejected; nothing was imported.")

    def __init__(self, problems: list[Any], message: Any = None) -> None:
        self.problems = problems
        super().__init__(message, count=len(problems))
