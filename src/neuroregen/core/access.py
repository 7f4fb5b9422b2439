"""Who may open a route, declared on the route itself and enforced in one place.

Every page view and every API operation carries an :class:`Access` declaration, set by one of
the decorators below. :class:`AccessMiddleware` (pages) and :func:`enforce_operation` (API)
read it before the view runs and refuse anything undeclared, so a new route is closed until
someone says who it is for. The declaration is a gate by role; views still check the record's
site (``require(user, capability, site)``) and read through ``for_user``.

- ``public``: anyone, signed in or not (sign-in, parent survey links, family invitations);
- ``signed_in``: any account (its own two-factor settings, the landing page);
- ``family``: family accounts (the portal and their child's released reports);
- ``staff(*capabilities)``: staff memberships holding every listed capability at some site
  (``any_of=True``: at least one of them). A family membership never counts as staff.

Menus are filtered through the same declarations (``core.menu``), so a link is shown exactly
when the route it points to would open.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from neuroregen.core.errors import NotPermitted
from neuroregen.core.roles import CAPABILITIES, Capability, Role
from neuroregen.core.scoping import is_family, site_grant

ATTRIBUTE = "nr_access"
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Access:
    """Who may open a route (any one clause admits)."""

    public: bool = False
    signed_in: bool = False
    family: bool = False
    staff: frozenset[Capability] | None = None  # None: no staff clause
    any_of: bool = False

    def needs_sign_in(self) -> bool:
        return not self.public

    def allows(self, user: Any) -> bool:
        if self.public:
            return True
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return False
        if self.signed_in:
            return True
        if self.family and is_family(user):
            return True
        if self.staff is None:
            return False
        held = [_held_somewhere(user, capability) for capability in self.staff]
        if not held:  # staff() with no capability: any staff membership
            return _held_somewhere(user, Capability.VIEW)
        return any(held) if self.any_of else all(held)

    def allows_role(self, role: Role | str) -> bool:
        """Whether an account holding only ``role`` (at some site) passes this gate."""
        if self.public or self.signed_in:
            return True
        if role == Role.FAMILY:
            return self.family
        if self.staff is None:
            return False
        granted = CAPABILITIES[role]
        needed = self.staff or frozenset({Capability.VIEW})
        return bool(needed & granted) if self.any_of else needed <= granted

    def describe(self) -> str:
        parts = []
        if self.public:
            parts.append("public")
        if self.signed_in:
            parts.append("signed in")
        if self.family:
            parts.append("family")
        if self.staff is not None:
            caps = sorted(c.value for c in self.staff) or ["view"]
            joiner = " or " if self.any_of else " and "
            parts.append(f"staff: {joiner.join(caps)}")
        return "; ".join(parts)


def _held_somewhere(user: Any, capability: Capability) -> bool:
    everywhere, site_ids = site_grant(user, capability)
    return everywhere or bool(site_ids)


def declare(view: F, access: Access) -> F:
    """Attach ``access`` to ``view`` (a function or an ``as_view()`` callable)."""
    setattr(view, ATTRIBUTE, access)
    return view


def declared(view: Any) -> Access | None:
    """The declaration of a resolved view, looking through wrapping decorators."""
    seen = 0
    while view is not None and seen < 10:
        access = getattr(view, ATTRIBUTE, None)
        if access is not None:
            return access
        view = getattr(view, "__wrapped__", None)
        seen += 1
    return None


def public(view: F) -> F:
    return declare(view, Access(public=True))


def signed_in(view: F) -> F:
    return declare(view, Access(signed_in=True))


def family(view: F) -> F:
    return declare(view, Access(family=True))


def staff(
    *capabilities: Capability, any_of: bool = False, family: bool = False
) -> Callable[[F], F]:
    """Staff holding ``capabilities`` (all, or ``any_of``); ``family=True`` admits families too
    (the view then shows them only what is theirs)."""
    access = Access(staff=frozenset(capabilities), any_of=any_of, family=family)

    def decorate(view: F) -> F:
        return declare(view, access)

    return decorate


def enforce_operation(view_func: F) -> F:
    """API dispatcher (installed with ``api.add_decorator``): runs after token authentication
    and refuses operations that are undeclared or not open to the caller."""
    access = declared(view_func)

    @wraps(view_func)
    def guarded(request: Any, *args: Any, **kwargs: Any) -> Any:
        if access is None:
            raise NotPermitted(route=request.path, reason="undeclared")
        if not access.allows(request.user):
            raise NotPermitted()
        return view_func(request, *args, **kwargs)

    return guarded  # type: ignore[return-value]
