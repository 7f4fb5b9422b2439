"""Checks shared by routers whose data are staff tools (safety, products, evidence)."""

from __future__ import annotations

from typing import Any

from neuroregen.core.errors import NotPermitted
from neuroregen.core.roles import Capability
from neuroregen.core.scoping import site_grant


def require_staff_view(user: Any) -> None:
    """Refuse accounts with no staff view anywhere: a family account sees its child in the
    family pages, never programme, safety or product records over the API."""
    everywhere, site_ids = site_grant(user, Capability.VIEW)
    if not everywhere and not site_ids:
        raise NotPermitted()
