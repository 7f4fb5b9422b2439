"""The token form (parsing only; the rules live in api.services)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from neuroregen.api.choices import DEFAULT_LIFETIME_DAYS, TokenAccess, TokenApp


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        required=False,
        help_text=_("So you can recognise it later, e.g. analysis laptop."),
    )
    access = forms.ChoiceField(
        label=_("Access"),
        choices=TokenAccess.choices,
        initial=TokenAccess.READ,
        widget=forms.RadioSelect,
    )
    apps = forms.MultipleChoiceField(
        label=_("Parts of the API"),
        choices=TokenApp.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    expires_in_days = forms.IntegerField(
        label=_("Valid for (days)"),
        initial=DEFAULT_LIFETIME_DAYS,
        help_text=_("At most 365 days."),
    )
