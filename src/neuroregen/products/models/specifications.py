"""QC specifications: the versioned list of tests a product type must pass before release."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from neuroregen.core.audit import AuditedModel
from neuroregen.products import choices as c
from neuroregen.protocols.choices import ProductType


def plain_number(number: Decimal | None) -> str:
    """A limit or result without the stored trailing zeros (70.000000 → 70, 0.500000 → 0.5)."""
    if number is None:
        return ""
    text = f"{number:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


class QCSpecification(AuditedModel):
    """A versioned set of release tests for one product type. Frozen once active."""

    product_type = models.CharField(_("product type"), max_length=20, choices=ProductType.choices)
    version = models.CharField(_("version"), max_length=20)
    status = models.CharField(
        _("status"), max_length=8, choices=c.SpecStatus.choices, default=c.SpecStatus.DRAFT
    )
    effective_from = models.DateField(_("effective from"), null=True, blank=True)
    notes = models.CharField(_("notes"), max_length=300, blank=True)

    class Meta:
        ordering = ["product_type", "-effective_from", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["product_type", "version"], name="qc_spec_unique_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_product_type_display()} QC v{self.version}"


class QCSpecItem(AuditedModel):
    """One test of a specification with its method and acceptance criterion."""

    specification = models.ForeignKey(
        QCSpecification, on_delete=models.CASCADE, related_name="items"
    )
    test_code = models.SlugField(_("test code"), max_length=40)
    name = models.CharField(_("test"), max_length=120)
    method = models.CharField(_("method"), max_length=200)
    criterion = models.CharField(_("criterion"), max_length=10, choices=c.CriterionKind.choices)
    lower = models.DecimalField(
        _("lower limit"), max_digits=24, decimal_places=6, null=True, blank=True
    )
    upper = models.DecimalField(
        _("upper limit"), max_digits=24, decimal_places=6, null=True, blank=True
    )
    unit = models.CharField(_("unit"), max_length=40, blank=True)
    required = models.BooleanField(_("required for release"), default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["specification", "position", "test_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["specification", "test_code"], name="qc_item_unique_test"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.criterion_text()}"

    def criterion_text(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        lower, upper = plain_number(self.lower), plain_number(self.upper)
        if self.criterion == c.CriterionKind.RANGE:
            return f"{lower}–{upper}{unit}"
        if self.criterion == c.CriterionKind.AT_LEAST:
            return f"≥ {lower}{unit}"
        if self.criterion == c.CriterionKind.AT_MOST:
            return f"≤ {upper}{unit}"
        return str(_("pass"))
