"""One small programme for the access tests: two sites, a child with a family account at each."""

from __future__ import annotations

from typing import Any

from neuroregen.core.roles import Role
from neuroregen.participants.models import FamilyLink
from tests.helpers import make_user
from tests.protocols.builders import active_protocol, admin_user, confirmed, enrolled_participant

STAFF_ROLES = (
    Role.ADMINISTRATOR,
    Role.INVESTIGATOR,
    Role.COORDINATOR,
    Role.LAB,
    Role.MONITOR,
    Role.STATISTICIAN,
)
GLOBAL_ROLES = (Role.MONITOR, Role.STATISTICIAN)


def build_world(site_a: Any, site_b: Any) -> dict[str, Any]:
    """Users of every role at site A (monitor, statistician everywhere) and one child per site."""
    admin = admin_user()
    protocol = active_protocol(user=admin)
    investigator = make_user(Role.INVESTIGATOR, site_a)
    own_child = enrolled_participant(investigator, site_a, days_ago=120)
    assignment = confirmed(investigator, own_child, protocol)
    other_investigator = make_user(Role.INVESTIGATOR, site_b)
    other_child = enrolled_participant(other_investigator, site_b, days_ago=90)
    users = {role: make_user(role, None if role in GLOBAL_ROLES else site_a) for role in Role}
    users[Role.ADMINISTRATOR] = admin
    users[Role.INVESTIGATOR] = investigator
    FamilyLink.objects.create(user=users[Role.FAMILY], participant=own_child)
    return {
        "users": users,
        "protocol": protocol,
        "assignment": assignment,
        "own_child": own_child,
        "other_child": other_child,
    }
