"""The NinjaAPI instance: token auth, error mapping, routers of every app."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer

from neuroregen.api.choices import TokenApp
from neuroregen.api.services import api_token_authenticate
from neuroregen.core.errors import DomainError


class TokenAuth(HttpBearer):
    """Bearer token limited to one app's router: refused with 403 outside its scope."""

    openapi_description = (
        "Personal token `nr_…` from Account → API tokens. It acts with its owner's roles and "
        "sites, is read-only or read-write, is limited to the API apps chosen at creation, and "
        "expires (90 days by default, at most one year). A change of password or a reset of "
        "two-factor sign-in revokes it. 401: missing, unknown, expired or revoked token. "
        "403 `token_scope`: a write with a read-only token, or an app outside its scope; "
        "403 `two_factor_required`: a staff owner without two-factor sign-in where it is "
        "required; 403 `not_permitted`: the owner's role does not allow it."
    )

    def __init__(self, app: str | None = None) -> None:
        super().__init__()
        self.app = app

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = api_token_authenticate(token, app=self.app, method=request.method or "GET")
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
    title="NeuroRegen API",
    version="1",
    description=(
        "Pseudonymous access to NeuroRegen's registry. Authenticate with a personal token "
        "(`Authorization: Bearer nr_…`, created under Account → API tokens). Roles and site "
        "isolation are the same as in the web pages; writes go through the same services."
    ),
    auth=TokenAuth(),
    urls_namespace="api",
)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    body = {"code": "not_authenticated", "message": "A valid API token is required."}
    return api.create_response(request, body, status=401)


@api.exception_handler(NinjaValidationError)
def invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    body = {
        "code": "validation_failed",
        "message": "The request is not valid.",
        "params": {"errors": exc.errors},
    }
    return api.create_response(request, body, status=422)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(
        request, {"code": f"http_{exc.status_code}", "message": str(exc)}, status=exc.status_code
    )


def _register_routers() -> None:
    from neuroregen.core.access import enforce_operation

    # Deny by default: every operation must declare who may call it (core.access).
    api.add_decorator(enforce_operation)
    from neuroregen.biomarkers.api import router as biomarkers
    from neuroregen.evidence.api import router as evidence
    from neuroregen.instruments.api import router as instruments
    from neuroregen.participants.api import router as participants
    from neuroregen.products.api import router as products
    from neuroregen.safety.api import router as safety
    from neuroregen.visits.api import router as visits

    # Each router gets its own token check, so a token's app scope holds per router.
    api.add_router("/participants", participants, auth=TokenAuth(TokenApp.PARTICIPANTS))
    api.add_router("/visits", visits, auth=TokenAuth(TokenApp.VISITS))
    api.add_router("/", instruments, auth=TokenAuth(TokenApp.INSTRUMENTS))
    api.add_router("/measurements", biomarkers, auth=TokenAuth(TokenApp.BIOMARKERS))
    api.add_router("/safety", safety, auth=TokenAuth(TokenApp.SAFETY))
    api.add_router("/products", products, auth=TokenAuth(TokenApp.PRODUCTS))
    api.add_router("/evidence", evidence, auth=TokenAuth(TokenApp.EVIDENCE))


_register_routers()
