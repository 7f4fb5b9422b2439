"""Create, check and revoke API tokens."""

from __future__ import annotations

import hmac
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from neuroregen.api.models import ApiToken
from neuroregen.core.errors import NotFound, ValidationFailed
from neuroregen.core.models import User

TOKEN_PREFIX = "nr_"  # noqa: S105 - a public marker, not a secret


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token; returns the row and the plaintext token (shown once, never stored)."""
    if not name.strip():
        raise ValidationFailed("Name the token so you can recognise and revoke it.", field="name")
    limit = ApiToken._meta.get_field("name").max_length
    if len(name.strip()) > limit:
        # PostgreSQL refuses the longer value with a DataError (a 500); SQLite stores it
        raise ValidationFailed(
            _("The token name is too long: at most %(limit)d characters.") % {"limit": limit},
            field="name",
        )
    prefix = secrets.token_hex(5)
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name.strip(), prefix=prefix, key_hash=ApiToken.hash_secret(secret)
    )
    return token, f"{TOKEN_PREFIX}{prefix}_{secret}"


def api_token_authenticate(raw: str) -> User | None:
    """The active user behind ``raw``, or None. Constant-time comparison of the hash."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    prefix, _sep, secret = raw[len(TOKEN_PREFIX) :].partition("_")
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None or not token.is_active or not token.user.is_active:
        return None
    if not hmac.compare_digest(token.key_hash, ApiToken.hash_secret(secret)):
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        token.last_used_at = now
        token.save(update_fields=["last_used_at"])
    return token.user


@transaction.atomic
def api_token_revoke(*, user: User, token_id: int) -> ApiToken:
    token = ApiToken.objects.filter(pk=token_id, user=user).first()
    if token is None:
        raise NotFound()
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token
