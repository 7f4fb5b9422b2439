"""Controlled vocabularies of account administration. Stored codes never change."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from neuroregen.core.roles import Role


class AccountAction(models.TextChoices):
    INVITED = "invited", _("Invited")
    PASSWORD_SET = "password_set", _("Password set through the invitation")
    ROLE_CHANGED = "role_changed", _("Role changed")
    DEACTIVATED = "deactivated", _("Deactivated")
    TWO_FACTOR_RESET = "two_factor_reset", _("Two-factor sign-in reset")
    UNLOCKED = "unlocked", _("Sign-in lockout lifted")


# Families are invited from their child's page (reports), never here.
STAFF_ROLES = [(value, label) for value, label in Role.choices if value != Role.FAMILY]
# Roles that may hold a membership without a site (every site).
SITELESS_ROLES = frozenset({Role.ADMINISTRATOR, Role.MONITOR, Role.STATISTICIAN})
