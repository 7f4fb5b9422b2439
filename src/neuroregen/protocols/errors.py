"""Coded errors of the protocols app (stable codes; see core.errors)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from neuroregen.core.errors import Conflict, ValidationFailed


class RuleFieldUnknown(ValidationFailed):
    code = "rule_unknown_field"
    default_message = _("The rule refers to a profile field that does not exist.")


class RuleInvalid(ValidationFailed):
    code = "rule_invalid"
    default_message = _("The rule is not valid.")


class ScheduleInvalid(ValidationFailed):
    code = "schedule_invalid"
    default_message = _("The visit schedule is not valid.")


class ProtocolInvalid(ValidationFailed):
    code = "protocol_invalid"
    default_message = _("The protocol is not valid.")


class ProtocolNotEditable(Conflict):
    code = "protocol_not_editable"
    default_message = _("Only a draft protocol can be changed; amend it as a new version.")


class ProtocolNotActive(Conflict):
    code = "protocol_not_active"
    default_message = _("Participants can be assigned only to an active protocol.")


class DoseOutOfRange(ValidationFailed):
    code = "dose_out_of_bounds"
    default_message = _("The dose lies outside the arm's dose rule.")


class WeightMissing(ValidationFailed):
    code = "weight_missing"
    default_message = _("No weight is recorded: the dose per kg cannot be computed.")


class NotEligible(ValidationFailed):
    code = "not_eligible"
    default_message = _("The participant is not eligible for this arm.")


class OverrideReasonRequired(ValidationFailed):
    code = "override_reason_required"
    default_message = _("Overriding the recommendation needs a reason.")
