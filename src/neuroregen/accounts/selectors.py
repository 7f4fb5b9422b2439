"""Reads of account administration: which accounts an administrator may manage."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Sum

from neuroregen.core.errors import NotFound, NotPermitted
from neuroregen.core.models import SiteMembership, User
from neuroregen.core.roles import Capability
from neuroregen.core.scoping import site_grant


def admin_scope(user: Any) -> tuple[bool, set[int]]:
    """(every site?, site ids) where ``user`` administers accounts; NotPermitted if nowhere.

    Administrators are the only role holding MANAGE_SITE, so this is "administrators only".
    """
    everywhere, site_ids = site_grant(user, Capability.MANAGE_SITE)
    if not everywhere and not site_ids:
        raise NotPermitted()
    return everywhere, site_ids


def manageable_users(*, user: Any) -> QuerySet[User]:
    """Accounts the administrator may manage: all, or those whose every membership is at one
    of the administrator's sites (an account with any role elsewhere is not theirs)."""
    everywhere, site_ids = admin_scope(user)
    users = User.objects.all()
    if not everywhere:
        outside = SiteMembership.objects.filter(user=OuterRef("pk")).filter(
            Q(site__isnull=True) | ~Q(site__in=site_ids)
        )
        inside = SiteMembership.objects.filter(user=OuterRef("pk"), site__in=site_ids)
        users = users.filter(Exists(inside)).exclude(Exists(outside))
    return users.prefetch_related(
        Prefetch("memberships", queryset=SiteMembership.objects.select_related("site"))
    ).order_by("username")


def managed_user(*, user: Any, pk: int) -> User:
    target = manageable_users(user=user).filter(pk=pk).first()
    if target is None:
        raise NotFound()
    return target


def failed_sign_ins(target: User) -> int:
    """Wrong passwords counted against the account now (what the lockout compares)."""
    from axes.models import AccessAttempt

    total = AccessAttempt.objects.filter(username=target.username).aggregate(
        n=Sum("failures_since_start")
    )["n"]
    return int(total or 0)


def is_locked(target: User) -> bool:
    return failed_sign_ins(target) >= settings.AXES_FAILURE_LIMIT
