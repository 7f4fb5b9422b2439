"""Out-of-specification investigations and recalls (21 CFR 211.192, ICH Q7 §11.15, §15).

- An :class:`OOSInvestigation` documents why a QC result was out of specification. Only an
  investigation concluding that a laboratory error is confirmed invalidates the result; any
  other conclusion lets the result stand and the lot fails. A retest of a test with an OOS
  result needs an investigation first, so a lot cannot be tested into compliance.
- A :class:`LotRecall` is the signed decision to recall a lot; it opens one
  :class:`RecallNotice` per recipient, held at the recipient's site, shown to that site's
  investigators until one of them acknowledges it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from neuroregen.core.audit import AppendOnlyModel, AuditedModel
from neuroregen.core.models import Site
from neuroregen.core.scoping import scoped_manager
from neuroregen.participants.models import Participant
from neuroregen.products import choices as c
from neuroregen.products.models.lots import Lot
from neuroregen.products.models.quality import QCResult


class OOSInvestigation(AuditedModel):
    """The investigation of one out-of-specification QC result; concluded with an e-signature."""

    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="oos_investigations")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    qc_result = models.OneToOneField(
        QCResult, on_delete=models.PROTECT, related_name="investigation"
    )
    reference = models.CharField(
        _("investigation reference"),
        max_length=40,
        unique=True,
        help_text=_("The quality system's number for this investigation, e.g. OOS-2026-014."),
    )
    opened_on = models.DateField(_("opened on"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    description = models.CharField(
        _("initial assessment"),
        max_length=1000,
        help_text=_("What was checked first: calculations, equipment, sample, method."),
    )
    conclusion = models.CharField(
        _("conclusion"), max_length=16, choices=c.OOSConclusion.choices, blank=True
    )
    root_cause = models.CharField(_("root cause"), max_length=1000, blank=True)
    concluded_on = models.DateField(_("concluded on"), null=True, blank=True)
    concluded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = scoped_manager(site_path="site", participant_path="lot__participant")

    class Meta:
        ordering = ["opened_on", "pk"]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return not self.conclusion

    @property
    def invalidates_result(self) -> bool:
        return self.conclusion == c.OOSConclusion.LAB_ERROR


class LotRecall(AppendOnlyModel):
    """The signed recall of a lot: why, by whom, when. Never changes after signing."""

    lot = models.OneToOneField(Lot, on_delete=models.PROTECT, related_name="recall")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    recalled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recalled_at = models.DateTimeField(_("recalled at"), default=timezone.now)
    reason = models.CharField(_("reason for the recall"), max_length=300)
    meaning = models.CharField(_("meaning"), max_length=300)

    objects = scoped_manager(site_path="site", participant_path="lot__participant")

    def __str__(self) -> str:
        return f"recall of {self.lot_id}"


class RecallNotice(AuditedModel):
    """A recalled lot reached this participant: their investigators must act and acknowledge."""

    recall = models.ForeignKey(LotRecall, on_delete=models.PROTECT, related_name="notices")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="recall_notices")
    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="recall_notices"
    )
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    administrations = models.PositiveSmallIntegerField(_("administrations from the lot"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action_taken = models.CharField(_("action taken"), max_length=500, blank=True)

    objects = scoped_manager(site_path="site", participant_path="participant")

    # Not a column: the recall_notices tag sets it on the notices it shows (may this reader
    # record the action taken).
    may_acknowledge: bool

    class Meta:
        ordering = ["-recall__recalled_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["recall", "participant"], name="recall_notice_once_per_participant"
            ),
        ]

    def __str__(self) -> str:
        return f"recall notice {self.lot_id} → {self.participant_id}"

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None
