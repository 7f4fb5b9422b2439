"""The one way to reach site-scoped rows: ``Model.objects.for_user(user)``.

Every model holding clinical data declares where its site is (``site_path``) and, when it belongs
to a child, where the participant is (``participant_path``). A user sees rows of the sites where
a membership grants the capability asked for; a membership without a site (monitor, global
administrator) grants it everywhere; a family account sees only rows of its own child.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import Q

from neuroregen.core.roles import CAPABILITIES, Capability, Role

if TYPE_CHECKING:
    from neuroregen.core.models import User


def memberships_of(user: Any) -> list[Any]:
    """The user's memberships, loaded once per user object (per request)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, "_nr_memberships", None)
    if cached is None:
        cached = list(user.memberships.select_related("site"))
        user._nr_memberships = cached
    return cached


def site_grant(user: Any, capability: Capability) -> tuple[bool, set[int]]:
    """(granted on every site?, ids of sites where granted) — family grants excluded."""
    everywhere = False
    site_ids: set[int] = set()
    for membership in memberships_of(user):
        if membership.role == Role.FAMILY or capability not in CAPABILITIES[membership.role]:
            continue
        if membership.site_id is None:
            everywhere = True
        else:
            site_ids.add(membership.site_id)
    return everywhere, site_ids


def is_family(user: Any) -> bool:
    return any(m.role == Role.FAMILY for m in memberships_of(user))


class ScopedQuerySet(models.QuerySet):
    site_path: str = "site"
    participant_path: str | None = None
    # What reading a row needs; narrower than VIEW for third parties' data (donors, HLA).
    view_capability: Capability = Capability.VIEW

    def for_user(self, user: User | Any, capability: Capability | None = None) -> ScopedQuerySet:
        capability = capability or self.view_capability
        everywhere, site_ids = site_grant(user, capability)
        if everywhere:
            return self.all()
        condition = Q(**{f"{self.site_path}__in": site_ids}) if site_ids else Q(pk__in=[])
        if (
            self.participant_path is not None
            and capability in CAPABILITIES[Role.FAMILY]
            and is_family(user)
        ):
            prefix = f"{self.participant_path}__" if self.participant_path else ""
            condition |= Q(**{f"{prefix}family_links__user": user})
        return self.filter(condition)


def scoped_manager(
    site_path: str,
    participant_path: str | None = None,
    view_capability: Capability = Capability.VIEW,
) -> models.Manager:
    """A manager whose querysets know where the site (and the child) of a row is, and what
    reading a row needs."""
    queryset_class = type(
        "ScopedQuerySet",
        (ScopedQuerySet,),
        {
            "site_path": site_path,
            "participant_path": participant_path,
            "view_capability": view_capability,
            "__module__": __name__,
        },
    )
    return models.Manager.from_queryset(queryset_class)()
