"""Coded errors of the interop app."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from neuroregen.core.errors import DomainError, ValidationFailed


class ImportRejected(ValidationFailed):
    """The file has problems; each is listed with where and which column. Nothing imported."""

    code = "import_rejected"
    default_message = _("The file was rejected; nothing was imported.")

    def __init__(self, problems: list[Any], message: Any = None) -> None:
        self.problems = problems
        super().__init__(message, count=len(problems))


class CodeSpaceExhausted(DomainError):
    """More distinct tests share a prefix than its numbered test codes (``PREF0001`` …
    ``PREF9999``) can name; the export stops rather than reuse one."""

    code = "sdtm_code_space_exhausted"
    status = 422

    def __init__(self, prefix: str, count: int) -> None:
        message = gettext(
            "No SDTM test code is left for %(prefix)s: all %(count)s numbered codes are taken."
        ) % {"prefix": prefix, "count": count}
        super().__init__(message, prefix=prefix, count=count)
