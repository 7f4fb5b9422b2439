"""Personal API tokens. Only a hash is stored; the token is shown once, at creation."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from neuroregen.api.choices import TokenAccess, TokenApp


class ApiToken(models.Model):
    """A bearer token owned by one user, limited in access, apps and lifetime.

    It acts with its owner's roles and sites, never more. A password change or a reset of the
    owner's two-factor sign-in revokes it (``password_marker`` also catches a password replaced
    without going through our services).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    access = models.CharField(
        _("access"), max_length=12, choices=TokenAccess.choices, default=TokenAccess.READ
    )
    apps = models.JSONField(_("apps"), default=list)
    expires_at = models.DateTimeField(_("expires at"))
    password_marker = models.CharField(max_length=64, editable=False, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(_("revoked because"), max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_secret(secret: str) -> str:
        # Tokens are 256-bit random values, so a fast hash is enough (no dictionary to attack).
        return hashlib.sha256(secret.encode()).hexdigest()

    @staticmethod
    def marker_of(password_hash: str) -> str:
        # A digest of the stored password hash: changes whenever the password does.
        return hashlib.sha256(f"api-token:{password_hash}".encode()).hexdigest()

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and not self.is_expired

    @property
    def can_write(self) -> bool:
        return self.access == TokenAccess.READ_WRITE

    def allows_app(self, app: str) -> bool:
        return app in self.apps

    def app_labels(self) -> list[str]:
        labels = dict(TokenApp.choices)
        return [str(labels.get(app, app)) for app in self.apps]
