"""Checks of what a user may do at a site; the write-side twin of ``for_user``."""

from __future__ import annotations

from typing import Any

from neuroregen.core.errors import NotPermitted
from neuroregen.core.roles import Capability
from neuroregen.core.scoping import site_grant


def has_capability(user: Any, capability: Capability, site: Any | None = None) -> bool:
    """True if ``user`` holds ``capability`` at ``site`` (or anywhere, when site is None)."""
    everywhere, site_ids = site_grant(user, capability)
    if everywhere:
        return True
    if site is None:
        return bool(site_ids)
    site_id = site if isinstance(site, int) else site.pk
    return site_id in site_ids


def require(user: Any, capability: Capability, site: Any | None = None) -> None:
    """Raise :class:`NotPermitted` unless ``user`` holds ``capability`` at ``site``."""
    if not has_capability(user, capability, site):
        raise NotPermitted(capability=capability.value)


def sites_with(user: Any, capability: Capability) -> Any:
    """The sites where the user holds ``capability``, as a queryset."""
    from neuroregen.core.models import Site

    everywhere, site_ids = site_grant(user, capability)
    return Site.objects.all() if everywhere else Site.objects.filter(pk__in=site_ids)
