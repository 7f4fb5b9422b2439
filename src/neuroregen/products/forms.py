"""Forms for product pages. Rules live in validators/services; forms parse and display."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from neuroregen.core.time_forms import SiteDateTimeField, SiteTimeFormMixin
from neuroregen.participants.forms import DATE, BootstrapMixin, weight_field
from neuroregen.products import choices as c
from neuroregen.products.services import RECALL_MEANING, RELEASE_MEANING

PASSWORD = forms.PasswordInput(attrs={"autocomplete": "current-password"})


def _choice_field(form: forms.Form, name: str) -> forms.ChoiceField:
    return cast(forms.ChoiceField, form.fields[name])


class StyledForm(BootstrapMixin, forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class SiteTimeForm(SiteTimeFormMixin, StyledForm):
    """A form whose times are typed as wall time at a site (``tz_name``, an IANA zone)."""

    def __init__(self, *args: Any, tz_name: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._use_site_zone(tz_name)


class LotFilterForm(StyledForm):
    q = forms.CharField(label=_("Lot or study code"), required=False)
    status = forms.ChoiceField(
        choices=[("", _("Any status")), *c.LotStatus.choices], required=False
    )
    kind = forms.ChoiceField(
        choices=[
            ("", _("Autologous and allogeneic")),
            ("autologous", _("Autologous")),
            ("allogeneic", _("Allogeneic")),
        ],
        required=False,
    )


class QCResultForm(StyledForm):
    test_code = forms.ChoiceField(label=_("Test"))
    value = forms.DecimalField(
        label=_("Measured value"), required=False, max_digits=24, decimal_places=6
    )
    passed = forms.TypedChoiceField(
        label=_("Result (pass/fail tests)"),
        required=False,
        empty_value=None,
        coerce=lambda v: v == "pass",
        choices=[("", "—"), ("pass", _("Pass")), ("fail", _("Fail"))],
    )
    tested_on = forms.DateField(label=_("Tested on"), widget=DATE)
    comment = forms.CharField(label=_("Comment"), max_length=300, required=False)

    def __init__(self, *args: Any, items: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "test_code").choices = [
            (i.test_code, f"{i.name} ({i.criterion_text()})") for i in items
        ]


class DeviationForm(StyledForm):
    classification = forms.ChoiceField(label=_("Classification"), choices=c.DeviationClass.choices)
    description = forms.CharField(label=_("Description"), max_length=500)
    opened_on = forms.DateField(label=_("Opened on"), widget=DATE)


class SignatureForm(StyledForm):
    meaning = forms.CharField(
        label=_("Meaning of the signature"), max_length=300, initial=RELEASE_MEANING
    )
    password = forms.CharField(label=_("Your password (re-enter to sign)"), widget=PASSWORD)


class CustodyForm(SiteTimeForm):
    kind = forms.ChoiceField(
        label=_("Event"),
        choices=[
            (k, label)
            for k, label in c.CustodyKind.choices
            if k
            in (
                c.CustodyKind.HANDOFF,
                c.CustodyKind.STORAGE_MOVE,
                c.CustodyKind.TEMPERATURE_READING,
                c.CustodyKind.CORRECTION,
            )
        ],
    )
    container = forms.ChoiceField(label=_("Container (blank: whole lot)"), required=False)
    occurred_at = SiteDateTimeField(label=_("When"))
    from_party = forms.CharField(label=_("From"), max_length=120, required=False)
    to_party = forms.CharField(label=_("To"), max_length=120, required=False)
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    temperature_c = forms.DecimalField(
        label=_("Temperature (°C)"), required=False, max_digits=6, decimal_places=1
    )
    corrects = forms.ChoiceField(label=_("Corrects event"), required=False)
    notes = forms.CharField(label=_("Notes"), max_length=500, required=False)
    password = forms.CharField(
        label=_("Password (hand-offs are signed)"), widget=PASSWORD, required=False
    )

    def __init__(self, *args: Any, containers: Any = (), events: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "container").choices = [("", "—")] + [
            (x.code, x.code) for x in containers
        ]
        _choice_field(self, "corrects").choices = [("", "—")] + [
            (str(e.pk), str(e)) for e in events
        ]


class ShipmentForm(SiteTimeForm):
    containers = forms.MultipleChoiceField(
        label=_("Containers"), widget=forms.CheckboxSelectMultiple
    )
    to_site = forms.ChoiceField(label=_("To site"))
    occurred_at = SiteDateTimeField(label=_("Dispatched at"))
    courier = forms.CharField(label=_("Courier"), max_length=100)
    temperature_c = forms.DecimalField(
        label=_("Temperature at dispatch (°C)"), required=False, max_digits=6, decimal_places=1
    )

    def __init__(self, *args: Any, containers: Any = (), sites: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "containers").choices = [(x.code, x.code) for x in containers]
        self.fields["containers"].widget.attrs["class"] = "form-check-input"
        _choice_field(self, "to_site").choices = [(s.code, str(s)) for s in sites]


class ReceiptForm(SiteTimeForm):
    occurred_at = SiteDateTimeField(label=_("Received at"))
    received_by = forms.CharField(label=_("Received by"), max_length=120)
    temperature_c = forms.DecimalField(
        label=_("Temperature on arrival (°C)"), required=False, max_digits=6, decimal_places=1
    )


class AssessmentForm(StyledForm):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=c.ExcursionOutcome.choices)
    rationale = forms.CharField(label=_("Rationale"), max_length=500)
    password = forms.CharField(label=_("Your password (re-enter to sign)"), widget=PASSWORD)


class RecallForm(StyledForm):
    reason = forms.CharField(label=_("Reason for the recall"), max_length=300)
    meaning = forms.CharField(
        label=_("Meaning of the signature"), max_length=300, initial=RECALL_MEANING
    )
    password = forms.CharField(label=_("Your password (re-enter to sign)"), widget=PASSWORD)


class AdministrationForm(SiteTimeForm):
    participant_code = forms.CharField(widget=forms.HiddenInput)
    container_code = forms.CharField(widget=forms.HiddenInput)
    weight_kg = weight_field(
        label=_("Weight today (kg)"),
        required=False,
        help_text=_("Leave blank if today's weight is already recorded."),
    )
    volume_ml = forms.DecimalField(label=_("Volume given (mL)"), max_digits=8, decimal_places=2)
    started_at = SiteDateTimeField(label=_("Started at (site time)"))
    stopped_at = SiteDateTimeField(label=_("Stopped at (site time)"))
    premedication = forms.CharField(label=_("Premedication"), max_length=300, required=False)
    reaction = forms.ChoiceField(
        label=_("Immediate reaction"), choices=c.Reaction.choices, initial=c.Reaction.NONE
    )
    reaction_description = forms.CharField(
        label=_("Reaction details"),
        max_length=500,
        required=False,
        help_text=_("A reaction opens an adverse event for investigator review."),
    )
    notes = forms.CharField(label=_("Notes"), max_length=500, required=False)
