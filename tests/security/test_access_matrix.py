"""Role × route matrix, generated from the routes' own declarations.

Every role (and an anonymous visitor) opens every page — about its own site's child and the
other site's child where the route names a child — and every API read. The expected status
follows from the declaration: refused roles get 403 before the view runs, anonymous visitors
are sent to sign in, admitted roles reach the view (which may still say 404 or 405) and never
see another site's child.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from neuroregen.core.access import declared
from neuroregen.core.access_table import DELEGATED_NAMESPACES, page_routes
from neuroregen.core.roles import Role
from tests.security.api_battery import ApiClient
from tests.security.battery import client_for
from tests.security.test_access_declarations import api_operations
from tests.security.world import build_world

pytestmark = pytest.mark.django_db

PLACEHOLDERS = {"token": "no-such-token", "kind": "dsmb", "fmt": "csv", "code": "NO-SUCH-CODE"}
PARAMETER = re.compile(r"<(?:(\w+):)?(\w+)>|\{(\w+)\}")


def _fill(route: str, child_code: str) -> str | None:
    """The route with its parameters filled in; None for a regex route we cannot fill."""

    def value(match: re.Match[str]) -> str:
        converter, name = match.group(1), match.group(2) or match.group(3)
        if name == "study_code":
            return child_code
        if converter == "int" or name.endswith("_id") or name == "pk":
            return "987654"
        return PLACEHOLDERS.get(name, "no-such")

    if "^" in route or "(?P" in route:
        return None
    return PARAMETER.sub(value, route)


def _pages() -> list[tuple[str, Any]]:
    return [
        (route, declared(view))
        for route, _name, view, namespaces in page_routes()
        if not DELEGATED_NAMESPACES & set(namespaces)
    ]


@pytest.fixture
def world(site_a, site_b):
    return build_world(site_a, site_b)


@pytest.mark.parametrize("role", [*Role, None], ids=lambda r: r.value if r else "anonymous")
def test_pages_answer_as_declared(world, role):
    user = world["users"][role] if role else None
    client = client_for(user) if user else Client()
    everywhere = bool(user) and any(m.site_id is None for m in user.memberships.all())
    wrong = []
    for route, access in _pages():
        children = [("own", world["own_child"]), ("other", world["other_child"])]
        if "study_code" not in route:
            children = children[:1]
        for which, child in children:
            url = _fill(route, child.study_code)
            if url is None:
                continue
            status = client.get(url).status_code
            if role is None:
                expected = "not 403/500" if access.public else "302 to sign in"
                ok = status not in (403, 500) if access.public else status == 302
            elif not access.allows_role(role):
                expected, ok = "403", status == 403
            elif which == "other" and not everywhere:
                # 405: a POST-only action refuses a GET before looking anything up.
                expected, ok = "403, 404 or 405", status in (403, 404, 405)
            else:
                expected, ok = "reached the view", status not in (403, 500)
                if access.public:
                    ok = status != 500
            if not ok:
                wrong.append(f"{url} [{which}]: {status}, expected {expected}")
    assert not wrong, f"{role}:\n" + "\n".join(wrong)


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_api_reads_answer_as_declared(world, role):
    client = ApiClient(world["users"][role])
    wrong = []
    for method, path, handler in api_operations():
        if method != "GET":
            continue
        access = declared(handler)
        url = _fill(path, world["own_child"].study_code)
        status = client.get(url).status_code
        if not access.allows_role(role):
            ok, expected = status == 403, "403"
        else:
            ok, expected = status not in (403, 500), "reached the operation"
        if not ok:
            wrong.append(f"GET {url}: {status}, expected {expected}")
    assert not wrong, f"{role}:\n" + "\n".join(wrong)
