"""System checks that refuse weak production settings.

They run on every command under ``NEUROREGEN_PRODUCTION=1`` (so ``migrate`` and ``serve`` refuse
to start) and with ``check --deploy`` anywhere. Each finding is an Error, not a warning: lockout
off, short or development keys, invalid Fernet keys, DEBUG, missing HTTPS settings, two-factor
off and an unusable proxy allow-list each expose children's data.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register

from neuroregen.core.checks import PROJECT

DEPLOY_TAG = "neuroregen_deploy"
MIN_SECRET_KEY = 50
MIN_BLIND_INDEX_KEY = 32
MAX_FAILURE_LIMIT = 10
MIN_HSTS_SECONDS = 31536000
DEV_MARKERS = ("development-only", "django-insecure", "changeme", "change-me")


def _error(code: int, msg: str, hint: str) -> Error:
    return Error(msg, hint=hint, id=f"neuroregen.E{code:03d}")


def _lockout() -> list[Error]:
    limit = getattr(settings, "AXES_FAILURE_LIMIT", None)
    parameters = getattr(settings, "AXES_LOCKOUT_PARAMETERS", [])
    problems = []
    if not getattr(settings, "AXES_ENABLED", False):
        problems.append("lockout is switched off (NEUROREGEN_AXES=0)")
    if not isinstance(limit, int) or not 1 <= limit <= MAX_FAILURE_LIMIT:
        problems.append(f"AXES_FAILURE_LIMIT must be 1 to {MAX_FAILURE_LIMIT}, not {limit!r}")
    if not isinstance(parameters, list) or not {"username", "ip_address"} <= {
        p for p in parameters if isinstance(p, str)
    }:
        problems.append("AXES_LOCKOUT_PARAMETERS must count per account and per address apart")
    return [
        _error(1, f"Sign-in lockout is too weak: {p}.", "Keep django-axes on as configured.")
        for p in problems
    ]


def _weak(value: str, minimum: int) -> bool:
    return len(value) < minimum or any(marker in value.lower() for marker in DEV_MARKERS)


def _keys() -> list[Error]:
    errors = []
    secret = str(getattr(settings, "SECRET_KEY", ""))
    blind = str(getattr(settings, "BLIND_INDEX_KEY", ""))
    if _weak(secret, MIN_SECRET_KEY) or len(set(secret)) < 5:
        errors.append(
            _error(
                2,
                f"NEUROREGEN_SECRET_KEY is shorter than {MIN_SECRET_KEY} characters or a "
                "development value.",
                'Generate one: python -c "import secrets; print(secrets.token_urlsafe(64))"',
            )
        )
    if _weak(blind, MIN_BLIND_INDEX_KEY) or len(set(blind)) < 5 or blind == secret:
        errors.append(
            _error(
                3,
                f"NEUROREGEN_BLIND_INDEX_KEY is shorter than {MIN_BLIND_INDEX_KEY} characters, "
                "a development value, or the same as the secret key.",
                "Use a separate random key of 32+ characters (secrets.token_urlsafe(32)).",
            )
        )
    errors.extend(_fernet_keys())
    return errors


def _fernet_keys() -> list[Error]:
    from cryptography.fernet import Fernet

    keys = list(getattr(settings, "FIELD_ENCRYPTION_KEYS", []) or [])
    hint = (
        "Generate one: python -c 'from cryptography.fernet import Fernet; "
        "print(Fernet.generate_key().decode())'"
    )
    if not keys:
        return [_error(4, "NEUROREGEN_FIELD_KEYS holds no key.", hint)]
    errors = []
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            errors.append(
                _error(4, f"NEUROREGEN_FIELD_KEYS key {position} is not a Fernet key.", hint)
            )
    return errors


def _debug_and_https() -> list[Error]:
    errors = []
    if settings.DEBUG:
        errors.append(_error(5, "DEBUG is on.", "Unset NEUROREGEN_DEBUG in production."))
    missing = [
        name
        for name in ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE")
        if not getattr(settings, name, False)
    ]
    if getattr(settings, "SECURE_HSTS_SECONDS", 0) < MIN_HSTS_SECONDS:
        missing.append(f"SECURE_HSTS_SECONDS >= {MIN_HSTS_SECONDS}")
    if not getattr(settings, "SECURE_HSTS_INCLUDE_SUBDOMAINS", False):
        missing.append("SECURE_HSTS_INCLUDE_SUBDOMAINS")
    if missing:
        errors.append(
            _error(
                6,
                f"HTTPS is not enforced: {', '.join(missing)}.",
                "Leave NEUROREGEN_SSL_REDIRECT and NEUROREGEN_HSTS_SECONDS at their defaults.",
            )
        )
    return errors


def _two_factor_and_proxy() -> list[Error]:
    errors = []
    if not getattr(settings, "NEUROREGEN_REQUIRE_2FA", False):
        errors.append(
            _error(7, "Two-factor sign-in for staff is off.", "Production requires it; keep it on.")
        )
    bad = []
    for entry in getattr(settings, "NEUROREGEN_FORWARDED_ALLOW_IPS", []) or []:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            bad.append(entry)
    if bad:
        errors.append(
            _error(
                8,
                f"NEUROREGEN_FORWARDED_ALLOW_IPS holds entries that are not addresses or "
                f"networks: {', '.join(bad)}.",
                "List only the proxy's own addresses; '*' would let any client choose the "
                "address that lockout counts.",
            )
        )
    return errors


def production_findings() -> list[Error]:
    return [*_lockout(), *_keys(), *_debug_and_https(), *_two_factor_and_proxy()]


@register(Tags.security, PROJECT, DEPLOY_TAG)
def check_production_settings(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Under NEUROREGEN_PRODUCTION=1 every command refuses weak settings."""
    return production_findings() if getattr(settings, "PRODUCTION", False) else []


@register(Tags.security, DEPLOY_TAG, deploy=True)
def check_deploy_settings(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """``check --deploy`` refuses them whatever the profile (once: production runs the other)."""
    return [] if getattr(settings, "PRODUCTION", False) else production_findings()
