"""What left the system: one append-only row per export, with who, what and why."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from neuroregen.core.audit import AppendOnlyModel


class ExportChannel(models.TextChoices):
    WEB = "web", _("Export page")
    COMMAND = "command", _("Command line")


class ExportRecord(AppendOnlyModel):
    """One export: an identity export must carry the administrator's reason (never edited)."""

    exported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    exported_at = models.DateTimeField(_("exported at"), default=timezone.now)
    channel = models.CharField(_("channel"), max_length=8, choices=ExportChannel.choices)
    protocol_code = models.CharField(_("protocol"), max_length=40)
    export_format = models.CharField(_("format"), max_length=8)
    shift_dates = models.BooleanField(_("dates shifted"), default=False)
    include_identity = models.BooleanField(_("identity included"), default=False)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    participant_count = models.PositiveIntegerField(_("participants"), default=0)
    files = models.JSONField(_("files"), default=list, blank=True)

    class Meta:
        ordering = ["-exported_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(include_identity=False) | ~models.Q(reason=""),
                name="export_identity_has_reason",
                violation_error_message=_("An export with identity needs a reason."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.protocol_code} {self.export_format} {self.exported_at:%Y-%m-%d %H:%M}"


class SdtmCode(AppendOnlyModel):
    """An SDTM test code (``--TESTCD``) given to one test, once: every later export of any data
    uses the same code for the same test, and a code never passes to another test."""

    space = models.CharField(_("code space"), max_length=8)  # the domain: "QS"
    test = models.CharField(_("test"), max_length=200)  # "instrument/field or score"
    code = models.CharField(_("code"), max_length=8)
    assigned_at = models.DateTimeField(_("assigned at"), default=timezone.now)

    class Meta:
        ordering = ["space", "code"]
        constraints = [
            models.UniqueConstraint(fields=["space", "test"], name="test_code_one_per_test"),
            models.UniqueConstraint(fields=["space", "code"], name="test_code_one_test_per_code"),
        ]

    def __str__(self) -> str:
        return f"{self.space} {self.code} = {self.test}"
