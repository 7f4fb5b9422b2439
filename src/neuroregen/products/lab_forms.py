"""Forms of the lab creation pages (donors, sources, lines, lots, containers, QC specifications,
HLA typing, antibody screens). They parse and display; the rules live in the services."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from neuroregen.core.time_forms import SiteDateTimeField
from neuroregen.participants.forms import DATE
from neuroregen.products import choices as c
from neuroregen.products.forms import SiteTimeForm, StyledForm, _choice_field
from neuroregen.products.models import HLA_LOCI
from neuroregen.protocols.choices import ProductType

POSITIVE = Decimal("0.01")


class DonorForm(StyledForm):
    site = forms.ChoiceField(label=_("Collecting site"))
    eligibility = forms.ChoiceField(
        label=_("Eligibility"),
        choices=c.DonorEligibility.choices,
        initial=c.DonorEligibility.PENDING,
    )
    eligibility_determined_on = forms.DateField(
        label=_("Determined on"), widget=DATE, required=False
    )
    summary = forms.CharField(
        label=_("Screening and testing summary"),
        max_length=500,
        required=False,
        help_text=_("Infectious-disease testing, medical history review, by whom."),
    )

    def __init__(self, *args: Any, sites: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "site").choices = [(s.code, str(s)) for s in sites]


class EligibilityForm(StyledForm):
    eligibility = forms.ChoiceField(label=_("Eligibility"), choices=c.DonorEligibility.choices)
    eligibility_determined_on = forms.DateField(label=_("Determined on"), widget=DATE)
    summary = forms.CharField(label=_("Screening and testing summary"), max_length=500)
    reason = forms.CharField(label=_("Reason for change"), max_length=200)


class SourceForm(SiteTimeForm):
    origin = forms.ChoiceField(
        label=_("Origin"),
        choices=[
            ("participant", _("Autologous: the participant's own material")),
            ("donor", _("Allogeneic: a donor or cord-blood unit")),
        ],
        widget=forms.RadioSelect,
    )
    participant_code = forms.CharField(
        label=_("Participant study code"),
        max_length=20,
        required=False,
        help_text=_("Scan the wristband. Autologous material is bound to this child for life."),
    )
    donor = forms.ChoiceField(label=_("Donor"), required=False)
    kind = forms.ChoiceField(label=_("Kind of material"), choices=c.SourceKind.choices)
    collected_at = SiteDateTimeField(label=_("Collected at (site time)"))
    quantity = forms.CharField(label=_("Quantity"), max_length=60, required=False)
    external_reference = forms.CharField(label=_("Bank unit number"), max_length=40, required=False)
    notes = forms.CharField(label=_("Notes"), max_length=300, required=False)

    def __init__(self, *args: Any, donors: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "donor").choices = [("", "—")] + [
            (d.code, f"{d.code} ({d.get_eligibility_display()})") for d in donors
        ]
        self.fields["origin"].widget.attrs["class"] = "form-check-input"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        origin = data.get("origin")
        if origin == "participant" and not data.get("participant_code", "").strip():
            self.add_error("participant_code", _("Give the participant's study code."))
        if origin == "donor" and not data.get("donor"):
            self.add_error("donor", _("Choose the donor."))
        return data


class LineForm(StyledForm):
    reprogramming_method = forms.ChoiceField(
        label=_("Reprogramming method"), choices=c.ReprogrammingMethod.choices
    )
    clone = forms.CharField(label=_("Clone"), max_length=20)
    passage = forms.IntegerField(label=_("Passage"), min_value=0, max_value=200)
    bank = forms.ChoiceField(label=_("Bank"), choices=c.CellBank.choices, initial=c.CellBank.NONE)
    derived_on = forms.DateField(label=_("Derived on"), widget=DATE)


class LotForm(SiteTimeForm):
    product_type = forms.ChoiceField(label=_("Product type"))
    ipsc_line = forms.ChoiceField(label=_("iPSC line"), required=False)
    arm = forms.ChoiceField(label=_("Allocated to arm (allogeneic)"), required=False)
    site = forms.ChoiceField(label=_("Manufacturing site (allogeneic)"), required=False)
    manufacture_started_on = forms.DateField(label=_("Manufacture started on"), widget=DATE)
    expires_at = SiteDateTimeField(label=_("Expires at (site time)"))
    concentration = forms.DecimalField(
        label=_("Concentration"), min_value=0, max_digits=24, decimal_places=4
    )
    concentration_unit = forms.ChoiceField(
        label=_("Concentration unit"), choices=c.ConcentrationUnit.choices
    )
    volume_ml = forms.DecimalField(
        label=_("Volume (mL)"), min_value=POSITIVE, max_digits=8, decimal_places=2
    )
    storage = forms.ChoiceField(label=_("Storage"), choices=c.StorageCondition.choices)

    def __init__(
        self,
        *args: Any,
        autologous: bool,
        lines: Any = (),
        arms: Any = (),
        sites: Any = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        types = ProductType.autologous()
        _choice_field(self, "product_type").choices = [
            (value, label) for value, label in ProductType.choices if (value in types) == autologous
        ]
        _choice_field(self, "ipsc_line").choices = [("", "—")] + [
            (x.code, f"{x.code} ({_('clone')} {x.clone}, p{x.passage})") for x in lines
        ]
        if autologous:
            del self.fields["arm"], self.fields["site"]
        else:
            _choice_field(self, "arm").choices = [("", "—")] + [
                (str(a.pk), f"{a.protocol.code} · {a}") for a in arms
            ]
            _choice_field(self, "site").choices = [("", "—")] + [(s.code, str(s)) for s in sites]


class CompleteForm(StyledForm):
    manufactured_on = forms.DateField(label=_("Manufacture completed on"), widget=DATE)


class FillForm(StyledForm):
    count = forms.IntegerField(label=_("Number of containers"), min_value=1, max_value=100)
    volume_ml = forms.DecimalField(
        label=_("Volume of each container (mL)"),
        min_value=POSITIVE,
        max_digits=8,
        decimal_places=2,
    )


class SpecForm(StyledForm):
    product_type = forms.ChoiceField(label=_("Product type"), choices=ProductType.choices)
    version = forms.CharField(label=_("Version"), max_length=20)
    notes = forms.CharField(label=_("Notes"), max_length=300, required=False)


class SpecItemForm(StyledForm):
    """One test row; a row left wholly blank is ignored."""

    test_code = forms.SlugField(label=_("Test code"), max_length=40, required=False)
    name = forms.CharField(label=_("Test"), max_length=120, required=False)
    method = forms.CharField(label=_("Method"), max_length=200, required=False)
    criterion = forms.ChoiceField(
        label=_("Criterion"), choices=[("", "—"), *c.CriterionKind.choices], required=False
    )
    lower = forms.DecimalField(
        label=_("Lower limit"), max_digits=24, decimal_places=6, required=False
    )
    upper = forms.DecimalField(
        label=_("Upper limit"), max_digits=24, decimal_places=6, required=False
    )
    unit = forms.CharField(label=_("Unit"), max_length=40, required=False)
    required = forms.BooleanField(label=_("Required for release"), required=False, initial=True)

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not any(data.get(f) for f in ("test_code", "name", "method", "criterion"))


SpecItemFormSet = forms.formset_factory(SpecItemForm, extra=0, min_num=1)


class ActivateForm(StyledForm):
    effective_from = forms.DateField(label=_("Effective from"), widget=DATE)


class HLAForm(StyledForm):
    typed_on = forms.DateField(label=_("Typed on"), widget=DATE)
    resolution = forms.ChoiceField(label=_("Resolution"), choices=c.HlaResolution.choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for locus in HLA_LOCI:
            for n in (1, 2):
                self.fields[f"{locus}_{n}"] = forms.CharField(
                    label=f"HLA-{locus.upper()} ({n})", max_length=16, required=False
                )
        self._style()

    def alleles(self) -> dict[str, list[str]]:
        return {locus: [self.cleaned_data[f"{locus}_{n}"] for n in (1, 2)] for locus in HLA_LOCI}


class AntibodyScreenForm(StyledForm):
    sampled_on = forms.DateField(label=_("Sampled on"), widget=DATE)
    result = forms.ChoiceField(label=_("Result"), choices=c.AntibodyResult.choices)
    specificities = forms.CharField(
        label=_("Specificities"),
        max_length=300,
        required=False,
        help_text=_("Comma-separated, e.g. A2, B7, DR4."),
    )
    max_mfi = forms.IntegerField(label=_("Highest MFI"), min_value=0, required=False)
