"""Immunological compatibility: HLA typings and anti-HLA antibody screens."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from neuroregen.core.audit import AuditedModel
from neuroregen.core.models import Site
from neuroregen.core.roles import Capability
from neuroregen.core.scoping import scoped_manager
from neuroregen.participants.models import Participant
from neuroregen.products import choices as c
from neuroregen.products.models.sources import Donor

HLA_LOCI = ("a", "b", "c", "drb1", "dqb1")


class HLATyping(AuditedModel):
    """HLA typing of a recipient (participant) or a donor."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, null=True, blank=True, related_name="hla_typings"
    )
    donor = models.ForeignKey(
        Donor, on_delete=models.PROTECT, null=True, blank=True, related_name="hla_typings"
    )
    typed_on = models.DateField(_("typed on"))
    resolution = models.CharField(_("resolution"), max_length=12, choices=c.HlaResolution.choices)
    a_1 = models.CharField("A", max_length=16)
    a_2 = models.CharField("A", max_length=16, blank=True)
    b_1 = models.CharField("B", max_length=16)
    b_2 = models.CharField("B", max_length=16, blank=True)
    c_1 = models.CharField("C", max_length=16, blank=True)
    c_2 = models.CharField("C", max_length=16, blank=True)
    drb1_1 = models.CharField("DRB1", max_length=16)
    drb1_2 = models.CharField("DRB1", max_length=16, blank=True)
    dqb1_1 = models.CharField("DQB1", max_length=16, blank=True)
    dqb1_2 = models.CharField("DQB1", max_length=16, blank=True)

    objects = scoped_manager(
        site_path="site", participant_path="participant", view_capability=Capability.VIEW_DONOR
    )

    class Meta:
        ordering = ["-typed_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(participant__isnull=True, donor__isnull=False)
                | models.Q(participant__isnull=False, donor__isnull=True),
                name="hla_typing_one_subject",
            ),
        ]

    def typing(self) -> dict[str, tuple[str, ...]]:
        """Alleles per locus, blanks (homozygous / not typed) left out."""
        return {
            locus: tuple(v for v in (getattr(self, f"{locus}_1"), getattr(self, f"{locus}_2")) if v)
            for locus in HLA_LOCI
        }


class AntibodyScreen(AuditedModel):
    """An anti-HLA antibody screen of a participant. ``new_dsa`` flags for safety review."""

    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="antibody_screens"
    )
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    sampled_on = models.DateField(_("sampled on"))
    result = models.CharField(_("result"), max_length=10, choices=c.AntibodyResult.choices)
    specificities = models.CharField(
        _("specificities"),
        max_length=300,
        blank=True,
        help_text=_("Comma-separated, e.g. A2, B7, DR4."),
    )
    max_mfi = models.PositiveIntegerField(_("highest MFI"), null=True, blank=True)
    donor_specific = models.CharField(
        _("donor-specific antibodies"),
        max_length=300,
        blank=True,
        help_text=_("Specificities against mismatched antigens of donors this child received."),
    )
    new_dsa = models.BooleanField(
        _("new donor-specific antibody"),
        default=False,
        help_text=_("A DSA absent before administration: flagged for safety review."),
    )

    objects = scoped_manager(site_path="site", participant_path="participant")

    class Meta:
        ordering = ["sampled_on", "pk"]
