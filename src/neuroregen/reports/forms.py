"""Forms of the reports app (parsing only; rules live in the services)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from neuroregen.reports import choices as c


class DraftForm(forms.Form):
    phase = forms.ChoiceField(label=_("Phase"), choices=c.ReportPhase.choices)


class EditForm(forms.Form):
    clinician_note = forms.CharField(
        label=_("Note from the study doctor (plain words for the family)"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        max_length=4000,
    )
    reason = forms.CharField(label=_("Reason for the change"), max_length=300)
    row_version = forms.IntegerField(widget=forms.HiddenInput)


class ReleaseForm(forms.Form):
    password = forms.CharField(
        label=_("Your password (electronic signature)"), widget=forms.PasswordInput
    )
    row_version = forms.IntegerField(widget=forms.HiddenInput)


class CorrectForm(forms.Form):
    reason = forms.CharField(label=_("What is being corrected"), max_length=300)


class InviteForm(forms.Form):
    username = forms.CharField(label=_("User name for the family"), max_length=150)
    email = forms.EmailField(label=_("E-mail (optional)"), required=False)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)


class AcceptForm(forms.Form):
    password = forms.CharField(
        label=_("New password"),
        widget=forms.PasswordInput,
        help_text=_("At least 12 characters; not a common password."),
    )
    password_again = forms.CharField(label=_("New password again"), widget=forms.PasswordInput)


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)


class JobForm(forms.Form):
    kind = forms.ChoiceField(label=_("Report"), choices=c.JobKind.choices)
    protocol = forms.IntegerField(required=False, widget=forms.HiddenInput)
