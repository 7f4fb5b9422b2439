"""Forms for protocol and assignment pages. Rules live in services; forms parse and display."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from neuroregen.participants.forms import DATE, BootstrapMixin
from neuroregen.protocols.models import Arm, Protocol

YES_NO = [("", _("— state it —")), ("no", _("No")), ("yes", _("Yes"))]


class ProtocolImportForm(BootstrapMixin, forms.Form):
    file = forms.FileField(label=_("Protocol JSON file"), required=False)
    document = forms.CharField(
        label=_("…or paste the JSON"), required=False, widget=forms.Textarea(attrs={"rows": 12})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()

    def clean(self) -> dict[str, Any]:
        # clean() may return None (Django then keeps cleaned_data), so read cleaned_data itself
        super().clean()
        data = self.cleaned_data
        upload = data.get("file")
        if upload:
            data["document"] = upload.read().decode("utf-8", errors="replace")
        if not (data.get("document") or "").strip():
            raise forms.ValidationError(_("Upload a file or paste the JSON."))
        return data


class ProtocolEditForm(BootstrapMixin, forms.Form):
    document = forms.CharField(
        label=_("Protocol (JSON)"),
        widget=forms.Textarea(attrs={"rows": 30, "class": "form-control font-monospace small"}),
    )
    reason = forms.CharField(label=_("Reason for change"), max_length=300)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class ReasonForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class AmendForm(ReasonForm):
    version = forms.CharField(label=_("New version"), max_length=20)
    field_order = ["version", "reason"]


class RecommendForm(BootstrapMixin, forms.Form):
    """Pick a protocol and state the screening facts the registry does not hold."""

    protocol: forms.ModelChoiceField[Protocol] = forms.ModelChoiceField(
        queryset=None, label=_("Protocol")
    )
    coagulopathy = forms.ChoiceField(choices=YES_NO, label=_("Coagulopathy"))
    prior_cell_therapy = forms.ChoiceField(choices=YES_NO, label=_("Prior cell therapy"))

    def __init__(self, *args: Any, protocols: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["protocol"].queryset = protocols  # type: ignore[attr-defined]
        self._style()

    def facts(self) -> dict[str, bool]:
        return {k: self.cleaned_data[k] == "yes" for k in ("coagulopathy", "prior_cell_therapy")}


class ConfirmForm(BootstrapMixin, forms.Form):
    arm: forms.ModelChoiceField[Arm] = forms.ModelChoiceField(queryset=None, label=_("Arm"))
    dose_per_kg = forms.DecimalField(
        label=_("Dose per kg"),
        max_digits=20,
        decimal_places=4,
        required=False,
        help_text=_("Leave empty for the recommended dose."),
    )
    override_reason = forms.CharField(
        label=_("Reason for override"),
        max_length=500,
        required=False,
        help_text=_("Required when the arm or dose differs from the recommendation."),
    )
    planned_day_zero = forms.DateField(label=_("Planned day 0"), widget=DATE, required=False)
    password = forms.CharField(
        label=_("Your password (electronic signature)"), widget=forms.PasswordInput
    )

    def __init__(self, *args: Any, arms: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["arm"].queryset = arms  # type: ignore[attr-defined]
        self._style()
