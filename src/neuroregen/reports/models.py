"""Family progress reports (drafted, reviewed, released by e-signature), family invitations
and the job rows of long report builds.

A family report holds a *snapshot* of the numbers it shows (``content``), taken when the draft
is made, so the released text never moves when data change later. A released report is never
edited: a correction is a new version whose ``supersedes`` points at the old one.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from neuroregen.core.audit import AuditedModel
from neuroregen.core.models import Site
from neuroregen.core.scoping import scoped_manager
from neuroregen.reports import choices as c
from neuroregen.reports.errors import ReportImmutable


class FamilyReport(AuditedModel):
    """One version of a child's progress report for one follow-up phase.

    The release signature (core ``ElectronicSignature``) points at this row and carries the
    digest of its released state; the row never changes afterwards, so the digest keeps
    verifying.
    """

    participant = models.ForeignKey(
        "participants.Participant", on_delete=models.PROTECT, related_name="family_reports"
    )
    # Repeated from the participant so scoping needs no join and the site never drifts.
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    phase = models.CharField(_("phase"), max_length=16, choices=c.ReportPhase.choices)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    status = models.CharField(
        _("status"), max_length=12, choices=c.ReportStatus.choices, default=c.ReportStatus.DRAFT
    )
    content = models.JSONField(_("snapshot of the reported data"), default=dict, editable=False)
    clinician_note = models.TextField(
        _("note from the study doctor"),
        blank=True,
        help_text=_("Plain words for the family; shown as written, in the language written."),
    )
    correction_reason = models.CharField(_("reason for the correction"), max_length=300, blank=True)
    data_cutoff = models.DateField(_("data cut-off"))
    protocol_label = models.CharField(_("protocol"), max_length=80, blank=True)
    synthetic = models.BooleanField(_("synthetic data"), default=False)
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = scoped_manager(site_path="site", participant_path="participant")

    class Meta:
        ordering = ["participant", "phase", "-version"]
        verbose_name = _("family progress report")
        verbose_name_plural = _("family progress reports")
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "phase", "version"], name="family_report_unique_version"
            ),
            models.CheckConstraint(
                condition=~models.Q(status=c.ReportStatus.RELEASED)
                | models.Q(released_at__isnull=False, released_by__isnull=False),
                name="family_report_released_is_signed",
                violation_error_message=_("A released report carries its signature."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant_id} {self.phase} v{self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Released rows are frozen in every code path (services, admin, shell): the signature's
        # digest must keep matching the stored row.
        if self.pk is not None:
            stored = type(self)._base_manager.filter(pk=self.pk).values_list("status", flat=True)
            if stored and stored[0] == c.ReportStatus.RELEASED:
                raise ReportImmutable()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if self.status == c.ReportStatus.RELEASED:
            raise ReportImmutable()
        return super().delete(*args, **kwargs)

    @property
    def is_released(self) -> bool:
        return self.status == c.ReportStatus.RELEASED

    @property
    def is_current(self) -> bool:
        """Released and not superseded by a released correction."""
        if not self.is_released:
            return False
        newer = getattr(self, "superseded_by", None)
        return newer is None or newer.status != c.ReportStatus.RELEASED


class FamilyInvitation(models.Model):
    """An invitation of a family account to a child, by a member of the child's site.

    For a new account it is a one-time link by which the guardian sets the password (only a
    hash of the secret is stored; the link is shown once to the coordinator). For an existing
    account it is a request that the holder accepts while signed in; it never touches the
    password, and the child is linked only on acceptance (``used_at``).
    """

    kind = models.CharField(
        _("kind"),
        max_length=12,
        choices=c.InvitationKind.choices,
        default=c.InvitationKind.PASSWORD,
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="family_invitations"
    )
    participant = models.ForeignKey(
        "participants.Participant", on_delete=models.CASCADE, related_name="family_invitations"
    )
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    history = HistoricalRecords()

    objects = scoped_manager(site_path="site", participant_path="participant")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"invitation of {self.user_id} for {self.participant_id}"


class ReportJob(models.Model):
    """A program or DSMB report built in the background; progress is polled by the page."""

    kind = models.CharField(_("kind"), max_length=12, choices=c.JobKind.choices)
    protocol = models.ForeignKey(
        "protocols.Protocol", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_jobs"
    )
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    status = models.CharField(
        _("status"), max_length=12, choices=c.JobStatus.choices, default=c.JobStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(default=0)
    total = models.PositiveSmallIntegerField(default=1)
    step = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    pdf = models.BinaryField(null=True, blank=True, editable=False)
    filename = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} job {self.pk} ({self.status})"

    @property
    def percent(self) -> int:
        return int(100 * self.progress / self.total) if self.total else 0

    @property
    def finished(self) -> bool:
        return self.status in (c.JobStatus.DONE, c.JobStatus.FAILED)
