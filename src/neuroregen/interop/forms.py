"""Forms of the export and import pages (what the commands take as arguments)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from neuroregen.participants.forms import BootstrapMixin
from neuroregen.protocols.models import Protocol

FORMAT_CHOICES = [
    ("redcap", _("REDCap records (CSV)")),
    ("tidy", _("Tidy long table (CSV)")),
    ("odm", _("CDISC ODM 1.3.2 (XML)")),
    ("sdtm", _("CDISC SDTM (XPT files in a zip)")),
    ("fhir", _("HL7 FHIR bundle (JSON)")),
    ("nda", _("NIMH Data Archive (CSV files in a zip)")),
]


FHIR_VERSION_CHOICES = [
    ("r4", _("R4 (4.0.1)")),
    ("r4b", _("R4B (4.3.0)")),
    ("r5", _("R5 (5.0.0)")),
]


def protocol_choices() -> list[tuple[str, str]]:
    codes = Protocol.objects.order_by("code").values_list("code", flat=True).distinct()
    return [(code, code) for code in codes]


class ExportForm(BootstrapMixin, forms.Form):
    protocol = forms.ChoiceField(label=_("Protocol"))
    export_format = forms.ChoiceField(label=_("Format"), choices=FORMAT_CHOICES)
    flat = forms.BooleanField(label=_("REDCap: classic project (not longitudinal)"), required=False)
    fhir_version = forms.ChoiceField(
        label=_("FHIR version"), choices=FHIR_VERSION_CHOICES, initial="r4", required=False
    )
    allow_missing_guid = forms.BooleanField(
        label=_("NDA: pre-submission file even where a child has no NDA GUID"),
        required=False,
        help_text=_("The files are marked as pre-submission and cannot be uploaded to NDA."),
    )
    shift_dates = forms.BooleanField(
        label=_("Shift dates"),
        required=False,
        initial=True,
        help_text=_(
            "Every date of a child moves by the same number of days; intervals and study days "
            "are kept."
        ),
    )
    include_identity = forms.BooleanField(
        label=_("Include names and birth dates"),
        required=False,
        help_text=_("Administrators only. The export and your reason are kept in the audit trail."),
    )
    reason = forms.CharField(
        label=_("Reason for including identity"), required=False, max_length=500
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["protocol"]).choices = protocol_choices()
        self._style()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("include_identity") and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Give the reason for including identity."))
        return data


IMPORT_FORMATS = [
    ("redcap", _("REDCap records (CSV)")),
    ("odm", _("CDISC ODM 1.3.2 clinical data (XML)")),
]
IMPORT_EXTENSIONS = {"redcap": ("csv",), "odm": ("xml",)}


class ImportForm(BootstrapMixin, forms.Form):
    protocol = forms.ChoiceField(label=_("Protocol"))
    # optional so that scripted uploads of REDCap files keep working without it
    import_format = forms.ChoiceField(
        label=_("Format"), choices=IMPORT_FORMATS, initial="redcap", required=False
    )
    file = forms.FileField(label=_("File"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["protocol"]).choices = protocol_choices()
        self._style()
