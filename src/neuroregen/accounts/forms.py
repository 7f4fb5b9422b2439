"""Forms of account administration (parsing only; the rules live in the services)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from neuroregen.accounts.choices import STAFF_ROLES
from neuroregen.core.models import Site
from neuroregen.core.roles import Role


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=500, required=False, widget=forms.TextInput()
    )


class _SiteField(forms.ModelChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            queryset=Site.objects.all(),
            required=False,
            empty_label=_("All sites"),
            label=_("Site"),
            **kwargs,
        )


class InviteForm(ReasonForm):
    username = forms.CharField(label=_("User name"), max_length=150, required=False)
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    # Every role is offered so a refused choice is explained, not silently dropped.
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.COORDINATOR)
    site = _SiteField()

    field_order = ["username", "first_name", "last_name", "email", "role", "site", "reason"]


class RoleForm(ReasonForm):
    membership = forms.TypedChoiceField(label=_("Role to change"), coerce=int, choices=())
    role = forms.ChoiceField(label=_("New role"), choices=STAFF_ROLES)
    site = _SiteField()
    password = forms.CharField(
        label=_("Your password (electronic signature)"),
        widget=forms.PasswordInput,
        required=False,
    )

    field_order = ["membership", "role", "site", "reason", "password"]

    def __init__(self, *args: Any, target: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        membership_field = self.fields["membership"]
        assert isinstance(membership_field, forms.ChoiceField)  # noqa: S101 - declared above
        membership_field.choices = [
            (m.pk, str(m)) for m in target.memberships.all() if m.role != Role.FAMILY
        ]


class PasswordForm(forms.Form):
    password = forms.CharField(
        label=_("New password"),
        widget=forms.PasswordInput,
        help_text=_("At least 12 characters; not a common password."),
    )
    password_again = forms.CharField(label=_("New password again"), widget=forms.PasswordInput)
