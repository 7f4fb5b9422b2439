"""Sites, users, site memberships with roles, and electronic signatures."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from neuroregen.core.roles import Role
from neuroregen.core.time import validate_time_zone


class User(AbstractUser):
    """A person who signs in. What they may see and do comes from their site memberships."""

    # Chosen from the page header (or set for a family from the child's record); blank until
    # someone chooses, and then pages follow the browser's language.
    preferred_language = models.CharField(
        _("preferred language"),
        max_length=8,
        choices=settings.LANGUAGES,
        blank=True,
        default="",
        help_text=_("Blank: the language the browser asks for."),
    )
    history = HistoricalRecords()

    def display_name(self) -> str:
        return self.get_full_name() or self.username

    def reading_language(self) -> str:
        """The language this person reads: their choice, else the one active for the request."""
        from django.utils import translation

        return self.preferred_language or translation.get_language() or settings.LANGUAGE_CODE


class Site(models.Model):
    """A clinical site. Every clinical record belongs to exactly one site."""

    code = models.SlugField(
        _("code"),
        max_length=16,
        unique=True,
        help_text=_("Short code, e.g. KYIV-01. Not shown to families."),
    )
    name = models.CharField(_("name"), max_length=200)
    country = models.CharField(_("country"), max_length=2, help_text=_("ISO 3166-1 alpha-2."))
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text=_(
            "IANA name, e.g. Europe/Kyiv. People enter and read every time of this site's "
            "records in this zone."
        ),
    )
    is_synthetic = models.BooleanField(
        _("synthetic"),
        default=False,
        help_text=_("Holds generated demonstration data, never real participants."),
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name = _("site")
        verbose_name_plural = _("sites")

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class SiteMembership(models.Model):
    """A user's role at a site. No site means every site (monitors, central administrators)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    site = models.ForeignKey(
        Site, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("site membership")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "site", "role"], name="membership_unique_role_per_site"
            ),
            models.CheckConstraint(
                condition=~models.Q(role=Role.FAMILY) | models.Q(site__isnull=False),
                name="membership_family_has_site",
                violation_error_message=_("A family account belongs to one site."),
            ),
        ]

    def __str__(self) -> str:
        where = self.site.code if self.site else _("all sites")
        return f"{self.user} · {self.get_role_display()} · {where}"


class ElectronicSignature(models.Model):
    """A dated, signed statement by a named person (21 CFR 11.50): who, when, what it means.

    The signed record is identified by content type and primary key, and a digest of its state
    at signing time, so a later change to the record is detectable.
    """

    signer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="signatures")
    signer_name = models.CharField(_("signer name"), max_length=300)
    signed_at = models.DateTimeField(_("signed at"), auto_now_add=True)
    meaning = models.CharField(_("meaning"), max_length=300)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.CharField(max_length=64)
    record = GenericForeignKey("content_type", "object_id")
    record_digest = models.CharField(max_length=64)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-signed_at"]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.signer_name} — {self.meaning} — {self.signed_at:%Y-%m-%d %H:%M %Z}"

    @staticmethod
    def digest_of(payload: str) -> str:
        return hashlib.sha256(payload.encode()).hexdigest()
