"""Values every page needs: the synthetic-data banner and the user's roles."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from neuroregen.core.roles import Capability, Role
from neuroregen.core.scoping import memberships_of


def neuroregen(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    memberships = memberships_of(user) if user is not None else []
    if not memberships:
        return {"nr_synthetic": False, "nr_roles": [], "nr_family_only": False}
    from neuroregen.core.permissions import sites_with

    synthetic = sites_with(user, Capability.VIEW).filter(is_synthetic=True).exists() or any(
        m.site is not None and m.site.is_synthetic for m in memberships
    )
    from neuroregen.core.menu import menu_for

    roles = sorted({m.role for m in memberships})
    return {
        "nr_synthetic": synthetic,
        "nr_roles": [Role(role).label for role in roles],  # shown in the header, translated
        "nr_family_only": roles == ["family"],
        "nr_menu": menu_for(user),
    }
