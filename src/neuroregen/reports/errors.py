"""Coded errors of the reports app."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from neuroregen.core.errors import Conflict, DomainError, ValidationFailed


class ReportImmutable(Conflict):
    code = "report_immutable"
    default_message = _(
        "A released report cannot be changed. Issue a corrected version that supersedes it."
    )


class NothingToReport(ValidationFailed):
    code = "nothing_to_report"
    default_message = _("There is no data for this child and phase yet.")


class InvitationUnusable(DomainError):
    code = "invitation_unusable"
    status = 410
    default_message = _(
        "This invitation link has been used or has expired. "
        "Please ask the study team for a new one."
    )
