"""Shared pieces of ``neuroregen import`` and ``neuroregen export``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from neuroregen.core.models import User


def acting_user(username: str) -> Any:
    """The account the command acts as: its roles and sites decide what it may read or write."""
    if not username:
        raise CommandError(
            "say who is acting with --user USERNAME (the audit trail records that account)"
        )
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"no active user '{username}'")
    return user
