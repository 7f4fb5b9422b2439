"""Entry form for one measurement; rules live in ``validators``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from neuroregen.biomarkers import choices as c
from neuroregen.biomarkers.catalogue import ANALYTES
from neuroregen.core.time_forms import SiteDateTimeField, SiteTimeFormMixin
from neuroregen.participants.forms import BootstrapMixin


class MeasurementForm(SiteTimeFormMixin, BootstrapMixin, forms.Form):
    analyte = forms.ChoiceField(
        label=_("Analyte or measure"), choices=[(a.code, a.label) for a in ANALYTES.values()]
    )
    visit = forms.TypedChoiceField(label=_("Visit"), required=False, coerce=int, empty_value=None)
    value = forms.CharField(
        label=_("Value"),
        max_length=40,
        help_text=_("As reported; '<1.5' or '>500' for results outside the limits."),
    )
    unit = forms.CharField(
        label=_("Unit"), max_length=12, help_text=_("e.g. pg/mL, ng/L, mg/dL, µV², 1")
    )
    matrix = forms.ChoiceField(label=_("Specimen matrix"), choices=c.Matrix.choices, required=False)
    region = forms.CharField(label=_("Electrode region / tract"), max_length=30, required=False)
    collected_at = SiteDateTimeField(
        label=_("Collected / recorded at"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    processed_at = SiteDateTimeField(
        label=_("Processed at"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    assay = forms.CharField(label=_("Assay / method"), max_length=200, required=False)
    kit = forms.CharField(label=_("Kit"), max_length=200, required=False)
    lot = forms.CharField(label=_("Kit lot"), max_length=60, required=False)
    lloq = forms.CharField(label=_("LLOQ (same unit)"), max_length=40, required=False)
    uloq = forms.CharField(label=_("ULOQ (same unit)"), max_length=40, required=False)
    cv_percent = forms.CharField(label=_("CV (%)"), max_length=10, required=False)
    provenance = forms.CharField(label=_("Provenance"), max_length=300, required=False)

    def __init__(self, *args: Any, visits: Any = (), tz_name: str = "UTC", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._use_site_zone(tz_name)
        # self.fields is typed dict[str, Field]; "visit" is the ChoiceField declared above
        self.fields["visit"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (v.pk, f"{v.code} ({v.target_date})") for v in visits
        ]
        self._style()


class ImportForm(BootstrapMixin, forms.Form):
    file = forms.FileField(label=_("CSV file"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()
