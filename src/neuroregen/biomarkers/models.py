"""Biomarker results and neurophysiology/imaging measures, one record per value.

``value``/``unit`` are canonical (see ``catalogue``); what the lab or pipeline reported is kept
in ``reported_value``/``reported_unit``. Limits of quantification are stored in the canonical
unit and the limit flag is computed by the service, never typed in.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from neuroregen.biomarkers import choices as c
from neuroregen.biomarkers.catalogue import ANALYTES, Analyte
from neuroregen.core.audit import AuditedModel
from neuroregen.core.scoping import scoped_manager


class Measurement(AuditedModel):
    """One measured value of an analyte or measure for a participant, at a visit when known."""

    participant = models.ForeignKey(
        "participants.Participant", on_delete=models.PROTECT, related_name="measurements"
    )
    visit = models.ForeignKey(
        "visits.Visit", on_delete=models.PROTECT, null=True, blank=True, related_name="measurements"
    )
    analyte = models.CharField(
        _("analyte or measure"),
        max_length=20,
        choices=[(a.code, a.label) for a in ANALYTES.values()],
    )
    region = models.CharField(_("electrode region or tract"), max_length=30, blank=True)
    value = models.DecimalField(
        _("value (canonical unit)"), max_digits=18, decimal_places=6, null=True, blank=True
    )
    unit = models.CharField(_("canonical unit"), max_length=12)
    reported_value = models.CharField(_("value as reported"), max_length=40)
    reported_unit = models.CharField(_("unit as reported"), max_length=12)
    matrix = models.CharField(
        _("specimen matrix"), max_length=8, choices=c.Matrix.choices, blank=True
    )
    collected_at = models.DateTimeField(_("collected / recorded at"))
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    assay = models.CharField(_("assay / method"), max_length=200, blank=True)
    kit = models.CharField(_("kit"), max_length=200, blank=True)
    lot = models.CharField(_("kit lot"), max_length=60, blank=True)
    lloq = models.DecimalField(
        _("LLOQ (canonical unit)"), max_digits=18, decimal_places=6, null=True, blank=True
    )
    uloq = models.DecimalField(
        _("ULOQ (canonical unit)"), max_digits=18, decimal_places=6, null=True, blank=True
    )
    limit_flag = models.CharField(
        _("limit flag"), max_length=12, choices=c.LimitFlag.choices, editable=False
    )
    cv_percent = models.DecimalField(
        _("CV (%)"),
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    provenance = models.CharField(
        _("provenance"),
        max_length=300,
        blank=True,
        help_text=_("Where the value comes from: lab report, file and checksum, pipeline version."),
    )
    source = models.CharField(
        _("source"), max_length=10, choices=c.Source.choices, default=c.Source.MANUAL
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = scoped_manager(site_path="participant__site", participant_path="participant")

    class Meta:
        ordering = ["participant", "collected_at", "analyte"]
        indexes = [models.Index(fields=["analyte", "collected_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(lloq__isnull=True)
                | models.Q(uloq__isnull=True)
                | models.Q(lloq__lte=models.F("uloq")),
                name="measurement_lloq_below_uloq",
                violation_error_message=_("The LLOQ must not exceed the ULOQ."),
            ),
        ]

    def __str__(self) -> str:
        where = f" {self.region}" if self.region else ""
        return f"{self.analyte}{where} = {self.reported_value} {self.reported_unit}"

    @property
    def analyte_def(self) -> Analyte:
        return ANALYTES[self.analyte]

    @property
    def censored(self) -> bool:
        return self.limit_flag in (c.LimitFlag.BELOW_LLOQ, c.LimitFlag.ABOVE_ULOQ)
