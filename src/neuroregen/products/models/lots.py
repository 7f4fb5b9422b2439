"""The product lot and its dose containers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from neuroregen.core.audit import AuditedModel
from neuroregen.core.models import Site
from neuroregen.core.scoping import scoped_manager
from neuroregen.participants.models import Participant
from neuroregen.products import choices as c
from neuroregen.products.models.sources import IPSCLine, SourceMaterial, code_field
from neuroregen.products.models.specifications import QCSpecification
from neuroregen.protocols.choices import ProductType
from neuroregen.protocols.models import Arm


class Lot(AuditedModel):
    """A manufactured product lot. Its status only moves along ``choices.LOT_TRANSITIONS``."""

    code = code_field(_("lot code"))
    site = models.ForeignKey(
        Site,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Holding site: the participant's site (autologous) or the manufacturing site."),
    )
    participant = models.ForeignKey(
        Participant,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="product_lots",
        help_text=_("Autologous lots only: the one child this lot may ever be given to."),
    )
    source = models.ForeignKey(SourceMaterial, on_delete=models.PROTECT, related_name="lots")
    ipsc_line = models.ForeignKey(
        IPSCLine, on_delete=models.PROTECT, null=True, blank=True, related_name="lots"
    )
    product_type = models.CharField(_("product type"), max_length=20, choices=ProductType.choices)
    arm = models.ForeignKey(
        Arm,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="product_lots",
        help_text=_("Allogeneic lots: the protocol arm this lot is allocated to."),
    )
    status = models.CharField(
        _("status"), max_length=14, choices=c.LotStatus.choices, default=c.LotStatus.IN_PROCESS
    )
    manufacture_started_on = models.DateField(_("manufacture started on"))
    manufactured_on = models.DateField(_("manufacture completed on"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"))
    concentration = models.DecimalField(
        _("concentration"), max_digits=24, decimal_places=4, validators=[MinValueValidator(0)]
    )
    concentration_unit = models.CharField(
        _("concentration unit"), max_length=20, choices=c.ConcentrationUnit.choices
    )
    volume_ml = models.DecimalField(
        _("volume (mL)"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    storage = models.CharField(_("storage"), max_length=8, choices=c.StorageCondition.choices)
    qc_specification = models.ForeignKey(
        QCSpecification,
        on_delete=models.PROTECT,
        related_name="lots",
        help_text=_("The specification in force when the lot was made; its tests gate release."),
    )
    status_changed_at = models.DateTimeField(_("status changed at"), default=timezone.now)
    recall_reason = models.CharField(_("recall reason"), max_length=300, blank=True)

    objects = scoped_manager(site_path="site", participant_path="participant")

    class Meta:
        ordering = ["-manufacture_started_on", "code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    product_type__in=sorted(ProductType.autologous()), participant__isnull=False
                )
                | (
                    ~models.Q(product_type__in=sorted(ProductType.autologous()))
                    & models.Q(participant__isnull=True)
                ),
                name="lot_autologous_iff_participant",
                violation_error_message=_("An autologous lot belongs to exactly one participant."),
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_autologous(self) -> bool:
        return self.product_type in ProductType.autologous()

    @property
    def storage_range(self) -> tuple[int, int]:
        return c.STORAGE_RANGE_C[self.storage]

    def is_expired(self, at: dt.datetime | None = None) -> bool:
        return self.expires_at <= (at or timezone.now())


class Container(AuditedModel):
    """One dose container (bag, vial, syringe) filled from a lot; used for one administration."""

    code = code_field(_("container code"))
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="containers")
    site = models.ForeignKey(
        Site,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Where the container is held now."),
    )
    sequence = models.PositiveSmallIntegerField(_("number in lot"))
    volume_ml = models.DecimalField(
        _("volume (mL)"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    status = models.CharField(
        _("status"),
        max_length=14,
        choices=c.ContainerStatus.choices,
        default=c.ContainerStatus.AVAILABLE,
    )

    objects = scoped_manager(site_path="site", participant_path="lot__participant")

    class Meta:
        ordering = ["lot", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["lot", "sequence"], name="container_unique_sequence"),
        ]

    def __str__(self) -> str:
        return self.code
