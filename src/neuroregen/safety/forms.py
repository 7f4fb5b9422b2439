"""Forms for safety pages. Rules live in validators/services; forms parse and display."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from neuroregen.core.time_forms import SiteDateTimeField, SiteTimeFormMixin
from neuroregen.participants.forms import BootstrapMixin
from neuroregen.safety import choices as c
from neuroregen.safety.models import AdverseEvent
from neuroregen.safety.services import EDITABLE_FIELDS
from neuroregen.safety.validators import NARRATIVE_MAX_LENGTH

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AdverseEventForm(SiteTimeFormMixin, BootstrapMixin, forms.ModelForm):
    serious = forms.TypedChoiceField(
        label=_("Serious?"),
        choices=[("no", _("No")), ("yes", _("Yes — at least one criterion below"))],
        coerce=lambda v: v == "yes",
        help_text=_("Serious means any ICH E2A criterion applies; it does not depend on grade."),
    )
    aware_at = SiteDateTimeField(
        label=_("Site became aware at (site local time)"),
        help_text=_("Starts the reporting clocks of a serious event."),
    )

    class Meta:
        model = AdverseEvent
        fields = [f for f in EDITABLE_FIELDS if f not in ("aware_at",)]
        widgets = {
            "onset_date": DATE,
            "resolution_date": DATE,
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, tz_name: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tz_name = tz_name
        self._use_site_zone(tz_name)
        self.fields["aesi_category"].help_text = _(
            "Leave empty to let the catalogue decide; choose one to set it yourself."
        )
        self.order_fields(["term", "soc", "onset_date", "resolution_date", "grade", "serious"])
        self._style()

    def _post_clean(self) -> None:
        # The service validates the whole event with specific messages; the model's generic
        # constraint messages would pre-empt them here.
        return

    def values(self) -> dict[str, Any]:
        data = {k: self.cleaned_data.get(k) for k in self.Meta.fields}
        data["aware_at"] = self.cleaned_data["aware_at"]
        for name in c.CRITERION_FIELDS.values():
            data[name] = bool(data.get(name))
        for name in ("coded_term", "coded_term_code", "coding_dictionary", "description"):
            data[name] = data.get(name) or ""
        data["aesi_category"] = data.get("aesi_category") or ""
        return data


class AdverseEventEditForm(AdverseEventForm):
    row_version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Reason for change"),
        max_length=300,
        help_text=_("Required: why is recorded data being changed?"),
    )


class FollowUpForm(BootstrapMixin, forms.Form):
    note = forms.CharField(
        label=_("Follow-up note"),
        max_length=NARRATIVE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class SignOffForm(BootstrapMixin, forms.Form):
    password = forms.CharField(
        label=_("Your password (electronic signature)"), widget=forms.PasswordInput
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class ClockSubmitForm(SiteTimeFormMixin, BootstrapMixin, forms.Form):
    submitted_at = SiteDateTimeField(label=_("Submitted at (site local time)"))
    reference = forms.CharField(label=_("Reference"), max_length=100, required=False)

    def __init__(self, *args: Any, tz_name: str = "UTC", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tz_name = tz_name
        self._use_site_zone(tz_name)
        self._style()


class ReviewCloseForm(BootstrapMixin, forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=c.ReviewOutcome.choices)
    adverse_event = forms.CharField(label=_("Adverse event code"), required=False, max_length=20)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class AdverseEventFilterForm(BootstrapMixin, forms.Form):
    q = forms.CharField(label=_("Event, term or study code"), required=False)
    serious = forms.ChoiceField(
        required=False,
        choices=[("", _("Serious or not")), ("yes", _("Serious")), ("no", _("Not serious"))],
    )
    grade = forms.ChoiceField(
        required=False,
        choices=[("", _("Any grade")), *[(str(g), f"≥ {g}") for g in c.Grade.values]],
    )
    aesi = forms.ChoiceField(
        required=False, choices=[("", _("All events")), ("yes", _("Special interest only"))]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()
