"""Create, check and revoke API tokens."""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from neuroregen.api.choices import DEFAULT_LIFETIME_DAYS, MAX_LIFETIME_DAYS, TokenAccess, TokenApp
from neuroregen.api.errors import TokenScopeError, TwoFactorRequired
from neuroregen.api.models import ApiToken
from neuroregen.core.errors import NotFound, ValidationFailed
from neuroregen.core.models import User

TOKEN_PREFIX = "nr_"  # noqa: S105 - a public marker, not a secret
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def two_factor_missing(user: User) -> bool:
    """True when the user must have two-factor sign-in (staff, where required) and has none."""
    from neuroregen.core.staff import is_staff_account
    from neuroregen.core.twofactor import has_confirmed_device

    return (
        settings.NEUROREGEN_REQUIRE_2FA
        and is_staff_account(user)
        and not has_confirmed_device(user)
    )


def api_token_problems(
    *, name: str | None, access: str | None, apps: list[str] | None, expires_in_days: int | None
) -> dict[str, str]:
    """Every problem with a token request (field → message); None skips a field the form
    could not parse, so the page can still list the others."""
    errors: dict[str, str] = {}
    limit = ApiToken._meta.get_field("name").max_length
    if name is not None and not name.strip():
        errors["name"] = _("Name the token so you can recognise and revoke it.")
    elif name is not None and limit is not None and len(name.strip()) > limit:
        # PostgreSQL refuses the longer value with a DataError (a 500); SQLite stores it
        errors["name"] = _("The token name is too long: at most %(limit)d characters.") % {
            "limit": limit
        }
    if access is not None and access not in TokenAccess.values:
        errors["access"] = _("Choose read only or read and write.")
    if apps is not None and not apps:
        errors["apps"] = _("Choose at least one part of the API.")
    elif apps is not None and not set(apps) <= set(TokenApp.values):
        errors["apps"] = _("Unknown part of the API: %(apps)s.") % {
            "apps": ", ".join(sorted(set(apps) - set(TokenApp.values)))
        }
    if expires_in_days is not None and not 1 <= expires_in_days <= MAX_LIFETIME_DAYS:
        errors["expires_in_days"] = _("A token lives from 1 to %(days)s days.") % {
            "days": MAX_LIFETIME_DAYS
        }
    return errors


@transaction.atomic
def api_token_create(
    *,
    user: User,
    name: str,
    access: str = TokenAccess.READ_WRITE,
    apps: Iterable[str] | None = None,
    expires_in_days: int = DEFAULT_LIFETIME_DAYS,
) -> tuple[ApiToken, str]:
    """Create a token; returns the row and the plaintext token (shown once, never stored).

    ``apps`` None means every app. Every problem is reported at once (``errors``).
    """
    if two_factor_missing(user):
        raise TwoFactorRequired()
    chosen = list(TokenApp.values) if apps is None else list(dict.fromkeys(apps))
    ValidationFailed.raise_for(
        api_token_problems(name=name, access=access, apps=chosen, expires_in_days=expires_in_days)
    )
    prefix = secrets.token_hex(5)
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name.strip(),
        prefix=prefix,
        key_hash=ApiToken.hash_secret(secret),
        access=access,
        apps=chosen,
        expires_at=timezone.now() + dt.timedelta(days=expires_in_days),
        password_marker=ApiToken.marker_of(user.password),
    )
    return token, f"{TOKEN_PREFIX}{prefix}_{secret}"


def api_token_authenticate(raw: str, *, app: str | None = None, method: str = "GET") -> User | None:
    """The active user behind ``raw``, or None (a 401). Constant-time comparison of the hash.

    A valid token used outside its access or apps raises :class:`TokenScopeError`; a staff
    token whose owner has no second factor where one is required raises
    :class:`TwoFactorRequired` (both 403).
    """
    if not raw.startswith(TOKEN_PREFIX):
        return None
    prefix, _sep, secret = raw[len(TOKEN_PREFIX) :].partition("_")
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.key_hash, ApiToken.hash_secret(secret)):
        return None
    if not token.is_active or not token.user.is_active:
        return None
    if not hmac.compare_digest(token.password_marker, ApiToken.marker_of(token.user.password)):
        api_tokens_revoke_all(user=token.user, reason="password changed")
        return None
    if two_factor_missing(token.user):
        raise TwoFactorRequired()
    if app is not None and not token.allows_app(app):
        raise TokenScopeError()
    if method.upper() not in SAFE_METHODS and not token.can_write:
        raise TokenScopeError()
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
        token.revoked_reason = "revoked by its owner"
        token.save(update_fields=["revoked_at", "revoked_reason"])
    return token


@transaction.atomic
def api_tokens_revoke_all(*, user: User, reason: str) -> int:
    """Revoke every live token of ``user`` (password change, two-factor reset, deactivation)."""
    now = timezone.now()
    tokens = list(ApiToken.objects.filter(user=user, revoked_at__isnull=True))
    for token in tokens:
        token.revoked_at = now
        token.revoked_reason = reason[:200]
        token.save(update_fields=["revoked_at", "revoked_reason"])
    return len(tokens)
