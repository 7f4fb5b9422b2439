"""Forms for participant pages. Rules live in validators/services; forms parse and display."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from neuroregen.core.errors import ValidationFailed
from neuroregen.core.models import Site
from neuroregen.core.time import site_today
from neuroregen.participants import choices as c
from neuroregen.participants import validators
from neuroregen.participants.models import (
    HEIGHT_CM_MAX,
    HEIGHT_CM_MIN,
    WEIGHT_KG_MAX,
    WEIGHT_KG_MIN,
    ConsentDocument,
    Participant,
)

DATE = forms.DateInput(attrs={"type": "date"})


class BootstrapMixin:
    def _style(self) -> None:
        for field in self.fields.values():  # type: ignore[attr-defined]
            widget = field.widget
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            widget.attrs.setdefault("class", css)

    def apply_domain_error(self, error: ValidationFailed) -> None:
        errors = getattr(error, "errors", None) or {error.field: error.message}
        for field, message in errors.items():
            target = field if field in self.fields else None  # type: ignore[attr-defined]
            self.add_error(target, message)  # type: ignore[attr-defined]


class ResearchFieldsForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Participant
        fields = [
            "sex",
            "country",
            "preferred_language",
            "asd_diagnosis_date",
            "dsm5_severity",
            "diagnostic_instrument",
            "genetic_finding",
            "syndrome",
            "genetic_details",
            "therapy_hours_per_week",
        ]
        widgets = {"asd_diagnosis_date": DATE}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()

    def clean_country(self) -> str:
        return (self.cleaned_data.get("country") or "").strip().upper()


class ParticipantCreateForm(ResearchFieldsForm):
    site: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=Site.objects.none(), label=_("Site")
    )
    screened_on = forms.DateField(label=_("Screening date"), widget=DATE)
    given_name = forms.CharField(label=_("Child's given name"), max_length=100)
    family_name = forms.CharField(label=_("Child's family name"), max_length=100)
    date_of_birth = forms.DateField(label=_("Date of birth"), widget=DATE)
    guardian_name = forms.CharField(label=_("Guardian's name"), max_length=200)
    guardian_relationship = forms.CharField(label=_("Guardian's relationship"), max_length=40)
    guardian_phone = forms.CharField(label=_("Guardian's phone"), max_length=40, required=False)
    guardian_email = forms.EmailField(label=_("Guardian's email"), required=False)

    field_order = [
        "site",
        "screened_on",
        "given_name",
        "family_name",
        "date_of_birth",
        "guardian_name",
        "guardian_relationship",
        "guardian_phone",
        "guardian_email",
    ]

    def __init__(self, *args: Any, sites: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites  # type: ignore[attr-defined]
        self.order_fields(self.field_order)
        self._style()

    def clean(self) -> dict[str, Any]:
        # The service's rules run here too, so the first submit shows every group's errors
        # (fields that already failed are not judged again).
        # clean() may return None (Django then keeps cleaned_data), so read cleaned_data itself
        super().clean()
        data = self.cleaned_data
        # Without a valid site, judge against the earliest-ahead zone on Earth so no real
        # date is called "in the future"; the service checks again at the chosen site.
        today = site_today(data.get("site") or "Pacific/Kiritimati")
        screened_on = data.get("screened_on") or today
        found = validators.identity_errors({**data, "screened_on": screened_on}, today=today)
        birth = data.get("date_of_birth") if "date_of_birth" not in found else None
        found |= validators.research_errors(
            {**data, "screened_on": screened_on}, today=today, birth=birth
        )
        for field, message in found.items():
            if field in self.fields and field not in self.errors:
                self.add_error(field, message)
        return data

    def identity(self) -> dict[str, Any]:
        keys = (
            "given_name",
            "family_name",
            "date_of_birth",
            "guardian_name",
            "guardian_relationship",
            "guardian_phone",
            "guardian_email",
        )
        return {k: self.cleaned_data[k] for k in keys}

    def research(self) -> dict[str, Any]:
        return {k: self.cleaned_data[k] for k in ResearchFieldsForm.Meta.fields}


class ParticipantEditForm(ResearchFieldsForm):
    row_version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Reason for change"),
        max_length=300,
        help_text=_("Required: why is recorded data being changed?"),
    )


class ConsentForm(BootstrapMixin, forms.Form):
    document = forms.ModelChoiceField(queryset=ConsentDocument.objects.all(), label=_("Document"))
    signed_on = forms.DateField(label=_("Signed on"), widget=DATE)
    signed_by_relationship = forms.CharField(
        label=_("Signed by"),
        max_length=40,
        help_text=_("e.g. mother, father, legal guardian, child"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class WithdrawalForm(BootstrapMixin, forms.Form):
    scope = forms.ChoiceField(choices=c.WithdrawalScope.choices, label=_("Scope"))
    effective_on = forms.DateField(label=_("Effective on"), widget=DATE)
    reason = forms.CharField(label=_("Reason given (optional)"), max_length=300, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class ParticipantFilterForm(BootstrapMixin, forms.Form):
    q = forms.CharField(label=_("Study code"), required=False)
    status = forms.ChoiceField(
        choices=[("", _("Any status")), *c.ParticipantStatus.choices], required=False
    )
    severity = forms.ChoiceField(
        choices=[("", _("Any severity")), *c.Severity.choices], required=False
    )
    site = forms.ChoiceField(required=False, choices=[("", _("Any site"))])

    def __init__(self, *args: Any, sites: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        site_field = self.fields["site"]
        assert isinstance(site_field, forms.ChoiceField)  # noqa: S101 - declared above
        site_field.choices = [("", _("Any site")), *((s.code, s.code) for s in sites)]
        self._style()


class IdentitySearchForm(BootstrapMixin, forms.Form):
    given_name = forms.CharField(label=_("Given name"))
    family_name = forms.CharField(label=_("Family name"))
    date_of_birth = forms.DateField(label=_("Date of birth"), widget=DATE)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


def weight_field(**kwargs: Any) -> forms.DecimalField:
    """A child's weight in kg, within the range the anthropometry record accepts."""
    return forms.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=[
            MinValueValidator(WEIGHT_KG_MIN, _("Weight must be at least %(limit_value)s kg.")),
            MaxValueValidator(WEIGHT_KG_MAX, _("Weight must be at most %(limit_value)s kg.")),
        ],
        **kwargs,
    )


class AnthropometryForm(BootstrapMixin, forms.Form):
    measured_on = forms.DateField(label=_("Measured on"), widget=DATE)
    weight_kg = weight_field(label=_("Weight (kg)"))
    height_cm = forms.DecimalField(
        label=_("Height (cm)"),
        max_digits=5,
        decimal_places=1,
        required=False,
        validators=[
            MinValueValidator(HEIGHT_CM_MIN, _("Height must be at least %(limit_value)s cm.")),
            MaxValueValidator(HEIGHT_CM_MAX, _("Height must be at most %(limit_value)s cm.")),
        ],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class ComorbidityForm(BootstrapMixin, forms.Form):
    condition = forms.ChoiceField(choices=c.Comorbidity.choices, label=_("Condition"))
    seizure_control = forms.ChoiceField(
        choices=[("", "—"), *c.SeizureControl.choices],
        required=False,
        label=_("Seizure control (epilepsy only)"),
    )
    notes = forms.CharField(label=_("Notes"), max_length=300, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class ScreenFailForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(label=_("Screen-fail reason"), max_length=300)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class IdentityEditForm(BootstrapMixin, forms.Form):
    given_name = forms.CharField(label=_("Child's given name"), max_length=100)
    family_name = forms.CharField(label=_("Child's family name"), max_length=100)
    date_of_birth = forms.DateField(label=_("Date of birth"), widget=DATE)
    guardian_name = forms.CharField(label=_("Guardian's name"), max_length=200)
    guardian_relationship = forms.CharField(label=_("Guardian's relationship"), max_length=40)
    guardian_phone = forms.CharField(label=_("Guardian's phone"), max_length=40, required=False)
    guardian_email = forms.EmailField(label=_("Guardian's email"), required=False)
    row_version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason for change"), max_length=300)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class NdaGuidForm(BootstrapMixin, forms.Form):
    nda_guid = forms.CharField(
        label=_("NDA GUID"),
        max_length=20,
        required=False,
        help_text=_(
            "From the NDA GUID tool run at this site, e.g. NDARAB123CDE or NDAR_INV1A2B3C4D. "
            "Leave empty to clear."
        ),
    )
    reason = forms.CharField(label=_("Reason for change"), max_length=300)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()
