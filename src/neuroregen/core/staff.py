"""Who counts as staff: the accounts that must use a second factor and an idle timeout.

Its own module because both the request protections (``security``) and the second-factor
services (``twofactor``) ask it, and security also asks twofactor: one direction only.
"""

from __future__ import annotations

from typing import Any

from neuroregen.core.roles import Role
from neuroregen.core.scoping import memberships_of


def is_staff_account(user: Any) -> bool:
    """Anyone who is not solely a family account counts as staff (also accounts with no role)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_staff or user.is_superuser:
        return True
    # the per-request membership cache the permission checks read anyway: one query, not two
    roles = {m.role for m in memberships_of(user)}
    return roles != {Role.FAMILY.value}
