"""An administration: a container given to a participant at the bedside."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from neuroregen.core.audit import AuditedModel
from neuroregen.core.models import Site
from neuroregen.core.scoping import scoped_manager
from neuroregen.participants.models import Participant
from neuroregen.products import choices as c
from neuroregen.products.models.lots import Container, Lot
from neuroregen.products.models.sources import code_field
from neuroregen.protocols.choices import Route
from neuroregen.protocols.models import Arm


class Administration(AuditedModel):
    """A dose given to a participant from one container, after the bedside identity check.

    ``reaction`` records immediate reactions; any value other than ``none`` is the hook from
    which the safety app opens an adverse event (see ``services.administration_record``).
    """

    code = code_field(_("administration code"))
    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="administrations"
    )
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    container = models.OneToOneField(
        Container, on_delete=models.PROTECT, related_name="administration"
    )
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="administrations")
    arm = models.ForeignKey(Arm, on_delete=models.PROTECT, related_name="+")
    administered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    scanned_participant_code = models.CharField(_("participant code scanned"), max_length=20)
    scanned_container_code = models.CharField(_("container code scanned"), max_length=20)
    route = models.CharField(_("route"), max_length=4, choices=Route.choices)
    started_at = models.DateTimeField(_("started at"))
    stopped_at = models.DateTimeField(_("stopped at"))
    volume_ml = models.DecimalField(_("volume given (mL)"), max_digits=8, decimal_places=2)
    weight_kg = models.DecimalField(_("weight on the day (kg)"), max_digits=5, decimal_places=2)
    dose_total = models.DecimalField(_("dose given"), max_digits=30, decimal_places=4)
    dose_per_kg = models.DecimalField(_("dose per kg"), max_digits=30, decimal_places=4)
    dose_unit = models.CharField(_("dose unit"), max_length=20)
    premedication = models.CharField(_("premedication"), max_length=300, blank=True)
    reaction = models.CharField(
        _("immediate reaction"), max_length=12, choices=c.Reaction.choices, default=c.Reaction.NONE
    )
    reaction_description = models.CharField(_("reaction details"), max_length=500, blank=True)
    is_first = models.BooleanField(_("first administration (day 0)"), default=False)
    notes = models.CharField(_("notes"), max_length=500, blank=True)

    objects = scoped_manager(site_path="site", participant_path="participant")

    class Meta:
        ordering = ["started_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(stopped_at__gte=models.F("started_at")),
                name="administration_stops_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(reaction=c.Reaction.NONE) | ~models.Q(reaction_description=""),
                name="administration_reaction_described",
                violation_error_message=_("Describe the reaction."),
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def has_reaction(self) -> bool:
        return self.reaction != c.Reaction.NONE
