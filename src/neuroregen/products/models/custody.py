"""The chain of custody: the append-only timeline of what happened to a lot or container."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from neuroregen.core.audit import AppendOnlyModel
from neuroregen.core.models import Site
from neuroregen.core.scoping import scoped_manager
from neuroregen.products import choices as c
from neuroregen.products.models.lots import Container, Lot


class CustodyEvent(AppendOnlyModel):
    """One event in a lot's (or container's) chain of custody. Never edited; corrected by a new
    event of kind ``correction`` that points at the one it corrects.

    ``site`` is where the event happened (the receiving site for a receipt). A reading outside
    the lot's storage range is an excursion and blocks administration until assessed.
    """

    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="custody_events")
    container = models.ForeignKey(
        Container, on_delete=models.PROTECT, null=True, blank=True, related_name="custody_events"
    )
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=12, choices=c.CustodyKind.choices)
    occurred_at = models.DateTimeField(_("when"))
    from_party = models.CharField(_("from"), max_length=120, blank=True)
    to_party = models.CharField(_("to"), max_length=120, blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    temperature_c = models.DecimalField(
        _("temperature (°C)"), max_digits=6, decimal_places=1, null=True, blank=True
    )
    is_excursion = models.BooleanField(_("temperature excursion"), default=False)
    assesses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assessment",
        help_text=_("For an excursion assessment: the excursion assessed."),
    )
    outcome = models.CharField(
        _("assessment outcome"), max_length=16, choices=c.ExcursionOutcome.choices, blank=True
    )
    corrects = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections"
    )
    notes = models.CharField(_("notes"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = scoped_manager(site_path="site", participant_path="lot__participant")

    class Meta:
        ordering = ["occurred_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_at:%Y-%m-%d %H:%M}"
