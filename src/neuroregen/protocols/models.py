"""Protocols and their arms. A protocol version is immutable once active: amendments are new
versions, so data collected under the old one keeps pointing at what was in force."""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from neuroregen.core.audit import AuditedModel
from neuroregen.protocols import choices as c
from neuroregen.protocols.dose import DoseRule


class Protocol(AuditedModel):
    code = models.SlugField(_("code"), max_length=40)
    version = models.CharField(_("version"), max_length=20)
    name = models.CharField(_("name"), max_length=200)
    status = models.CharField(
        _("status"), max_length=8, choices=c.ProtocolStatus.choices, default=c.ProtocolStatus.DRAFT
    )
    regulatory_reference = models.CharField(
        _("regulatory reference"), max_length=100, blank=True,
        help_text=_("IND number or clinical trial authorisation number."),
    )
    description = models.TextField(_("description"), blank=True)
    supersedes = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="amendments"
    )

    class Meta:
        ordering = ["code", "version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="protocol_unique_version")
        ]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"


class Arm(AuditedModel):
    protocol = models.ForeignKey(Protocol, on_delete=models.CASCADE, related_name="arms")
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    product_type = models.CharField(_("product type"), max_length=20, choices=c.ProductType.choices)
    route = models.CharField(_("route"), max_length=4, choices=c.Route.choices)
    dose_unit = models.CharField(_("dose unit"), max_length=20, choices=c.DoseUnit.choices)
    dose_per_kg_min = models.DecimalField(_("minimum dose per kg"), max_digits=20, decimal_places=4)
    dose_per_kg_max = models.DecimalField(_("maximum dose per kg"), max_digits=20, decimal_places=4)
    dose_per_kg_default = models.DecimalField(_("planned dose per kg"), max_digits=20, decimal_places=4)
    dose_absolute_cap = models.DecimalField(
        _("maximum total dose"), max_digits=24, decimal_places=4, null=True, blank=True
    )
    administrations = models.PositiveSmallIntegerField(
        _("number of administrations"), default=1, validators=[MinValueValidator(1)]
    )
    spacing_days = models.PositiveSmallIntegerField(
        _("days between administrations"), default=0
    )
    is_control = models.BooleanField(_("control arm"), default=False)

    class Meta:
        ordering = ["protocol", "code"]
        constraints = [
            models.UniqueConstraint(fields=["protocol", "code"], name="arm_unique_code"),
            models.CheckConstraint(
                condition=models.Q(dose_per_kg_min__lte=models.F("dose_per_kg_default"))
                & models.Q(dose_per_kg_default__lte=models.F("dose_per_kg_max")),
                name="arm_dose_default_within_range",
                violation_error_message=_("The planned dose must lie between minimum and maximum."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.protocol} · {self.name}"

    @property
    def is_autologous(self) -> bool:
        return self.product_type in c.ProductType.autologous()

    def dose_rule(self) -> DoseRule:
        return DoseRule(
            unit=self.dose_unit,
            per_kg_min=self.dose_per_kg_min,
            per_kg_max=self.dose_per_kg_max,
            per_kg_default=self.dose_per_kg_default,
            absolute_cap=self.dose_absolute_cap,
        )
