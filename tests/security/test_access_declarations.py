"""Deny by default: every route says who may open it, and nothing undeclared opens.

When a test here fails after a merge, it names the route and its view: add one of
``@access.public``, ``@access.signed_in``, ``@access.family`` or ``@access.staff(...)``
(``neuroregen.core.access``) directly above the view function or API operation.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from neuroregen.api.api import api
from neuroregen.core.access import Access, declared
from neuroregen.core.access_table import END, START, page_routes, roles_markdown
from neuroregen.core.middleware import AccessMiddleware

HOW_TO_FIX = (
    "Declare who may open each of these routes with @access.public, @access.signed_in, "
    "@access.family or @access.staff(<capabilities>) from neuroregen.core.access:\n"
)


def api_operations() -> Iterator[tuple[str, str, Any]]:
    """(method, path, handler) of every operation in the OpenAPI schema."""
    schema = api.get_openapi_schema()
    handlers: dict[str, Any] = {}
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                handlers[api.get_openapi_operation_id(operation)] = operation.view_func
    for path, methods in schema["paths"].items():
        for method, spec in methods.items():
            yield method.upper(), path, handlers.get(spec.get("operationId", ""))


def _view_name(view: Any) -> str:
    return f"{getattr(view, '__module__', '?')}.{getattr(view, '__qualname__', repr(view))}"


def test_every_page_route_declares_who_may_open_it():
    missing = [
        f"  {route}  (name={name!r}, view={_view_name(view)})"
        for route, name, view, namespaces in page_routes()
        if not AccessMiddleware.DELEGATED_NAMESPACES & set(namespaces) and declared(view) is None
    ]
    assert not missing, HOW_TO_FIX + "\n".join(missing)


def test_every_api_operation_declares_who_may_call_it():
    operations = list(api_operations())
    assert len(operations) > 20
    missing = [
        f"  {method} {path}  (handler={_view_name(handler)})"
        for method, path, handler in operations
        if handler is None or declared(handler) is None
    ]
    assert not missing, HOW_TO_FIX + "\n".join(missing)


def test_an_undeclared_page_is_refused_even_to_an_administrator(rf, db):
    from neuroregen.core.roles import Role
    from tests.helpers import make_user

    admin = make_user(Role.ADMINISTRATOR, None)
    request = rf.get("/somewhere/")
    request.user = admin
    request.resolver_match = None

    def undeclared_view(request: Any) -> Any:
        raise AssertionError("must not run")

    middleware = AccessMiddleware(lambda r: None)
    response = middleware.process_view(request, undeclared_view, (), {})
    assert response is not None
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("access", "role", "admitted"),
    [
        (Access(public=True), "family", True),
        (Access(family=True), "family", True),
        (Access(family=True), "administrator", False),
        (Access(staff=frozenset()), "family", False),
        (Access(staff=frozenset()), "statistician", True),
    ],
)
def test_declarations_admit_roles_as_written(access, role, admitted):
    assert access.allows_role(role) is admitted


def test_readme_roles_table_matches_the_declarations():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert START in readme, "README lacks the generated roles table"
    shown = readme[readme.index(START) : readme.index(END) + len(END)]
    assert shown == roles_markdown(), (
        "README's roles table is out of date; replace it with the output of "
        "`python -m neuroregen.core.access_table`."
    )
