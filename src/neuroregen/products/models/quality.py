"""A lot's quality record: QC results, deviations and the signed release."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from neuroregen.core.audit import AppendOnlyModel, AuditedModel
from neuroregen.core.models import Site
from neuroregen.core.scoping import scoped_manager
from neuroregen.products import choices as c
from neuroregen.products.models.lots import Lot
from neuroregen.products.models.specifications import QCSpecItem, plain_number


class QCResult(AppendOnlyModel):
    """A QC test result against a lot; never overwritten: a re-test is a new row, and an
    out-of-specification result counts until its investigation invalidates it (``products.qc``).
    """

    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="qc_results")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey(QCSpecItem, on_delete=models.PROTECT, related_name="results")
    value = models.DecimalField(_("value"), max_digits=24, decimal_places=6, null=True, blank=True)
    passed = models.BooleanField(
        _("passed"), null=True, blank=True, help_text=_("Pass/fail tests only.")
    )
    tested_on = models.DateField(_("tested on"))
    in_spec = models.BooleanField(_("within specification"))
    comment = models.CharField(_("comment"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = scoped_manager(site_path="site", participant_path="lot__participant")

    class Meta:
        ordering = ["item__position", "recorded_at", "pk"]

    def __str__(self) -> str:
        return f"{self.item.name}: {self.display_value()}"

    @property
    def investigation_or_none(self) -> Any:
        """Its OOS investigation, if one was opened (templates cannot catch the missing one)."""
        return getattr(self, "investigation", None)

    def display_value(self) -> str:
        if self.item.criterion == c.CriterionKind.PASS_FAIL:
            return str(_("pass") if self.passed else _("fail"))
        unit = f" {self.item.unit}" if self.item.unit else ""
        return f"{plain_number(self.value)}{unit}"


class Deviation(AuditedModel):
    """A departure from specification or procedure, linked to the lot (and result) it concerns."""

    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="deviations")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    qc_result = models.ForeignKey(
        QCResult, on_delete=models.PROTECT, null=True, blank=True, related_name="deviations"
    )
    classification = models.CharField(
        _("classification"), max_length=10, choices=c.DeviationClass.choices
    )
    description = models.CharField(_("description"), max_length=500)
    opened_on = models.DateField(_("opened on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    disposition = models.CharField(_("disposition"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = scoped_manager(site_path="site", participant_path="lot__participant")

    class Meta:
        ordering = ["opened_on", "pk"]

    def __str__(self) -> str:
        return f"{self.get_classification_display()}: {self.description[:60]}"


class LotRelease(AppendOnlyModel):
    """The signed release of a lot (21 CFR 1271.265): what was reviewed, by whom, when.

        The record never changes after signing, so its e-signature (``core.ElectronicSignature``
    pointing at this row) stays verifiable.
    """

    lot = models.OneToOneField(Lot, on_delete=models.PROTECT, related_name="release")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    released_at = models.DateTimeField(_("released at"), default=timezone.now)
    meaning = models.CharField(_("meaning"), max_length=300)
    qc_summary = models.JSONField(_("QC reviewed"), help_text=_("Each required test and result."))

    objects = scoped_manager(site_path="site", participant_path="lot__participant")

    def __str__(self) -> str:
        return f"release of {self.lot_id}"
