"""Coded errors of the visits app (stable codes; see core.errors)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from neuroregen.core.errors import Conflict, InvalidTransition, ValidationFailed


class DayZeroBeforeConsent(ValidationFailed):
    code = "day_zero_before_consent"
    default_message = _("Day 0 (first administration) cannot precede guardian consent.")


class DayZeroInvalid(ValidationFailed):
    code = "day_zero_invalid"
    default_message = _("This day 0 cannot be recorded.")


class NoAssignmentInForce(Conflict):
    code = "no_assignment_in_force"
    default_message = _("The participant has no confirmed protocol assignment.")


class VisitDateInvalid(ValidationFailed):
    code = "visit_date_invalid"
    default_message = _("The visit date is not valid.")


class VisitAlreadyRecorded(InvalidTransition):
    code = "visit_already_recorded"
    default_message = _("This visit has already been recorded as done, not done or cancelled.")
