"""Forms for OOS investigations and recall notices. Rules live in the services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from neuroregen.participants.forms import DATE
from neuroregen.products import choices as c
from neuroregen.products.forms import PASSWORD, StyledForm


class OOSOpenForm(StyledForm):
    reference = forms.CharField(
        label=_("Investigation reference"),
        max_length=40,
        help_text=_("The quality system's number for this investigation, e.g. OOS-2026-014."),
    )
    opened_on = forms.DateField(label=_("Opened on"), widget=DATE)
    description = forms.CharField(
        label=_("Initial assessment"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What was checked first: calculations, equipment, sample, method."),
    )


class OOSConcludeForm(StyledForm):
    conclusion = forms.ChoiceField(
        label=_("Conclusion"), choices=[("", "—"), *c.OOSConclusion.choices]
    )
    root_cause = forms.CharField(
        label=_("Root cause"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
    concluded_on = forms.DateField(label=_("Concluded on"), widget=DATE)
    password = forms.CharField(label=_("Your password (re-enter to sign)"), widget=PASSWORD)


class RecallNoticeAcknowledgeForm(StyledForm):
    action_taken = forms.CharField(
        label=_("Action taken"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("e.g. family informed, follow-up visit booked, samples requested."),
    )
