"""Turns domain errors into HTTP responses, in one place."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from neuroregen.core.errors import DomainError


class DomainErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DomainError):
            return None
        return domain_error_response(request, exception)


def domain_error_response(request: HttpRequest, error: DomainError) -> HttpResponse:
    wants_json = request.path.startswith("/api/") or "application/json" in request.headers.get(
        "Accept", ""
    )
    if wants_json:
        return JsonResponse(error.as_dict(), status=error.status)
    return render(request, "core/error.html", {"error": error}, status=error.status)


class RejectNulMiddleware:
    """Refuses text containing NUL characters before it reaches the database.

    PostgreSQL text columns cannot hold NUL (SQLite can), so the same input would be stored on
    one engine and crash on the other; it is refused everywhere with a specific 422 instead.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._has_nul(request):
            from neuroregen.core.errors import ValidationFailed

            return domain_error_response(
                request, ValidationFailed("Text may not contain NUL (0x00) characters.")
            )
        return self.get_response(request)

    @staticmethod
    def _has_nul(request: HttpRequest) -> bool:
        if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", ""):
            return True
        if request.method in ("POST", "PUT", "PATCH"):
            body = request.body
            return b"\x00" in body or b"%00" in body or b"\\u0000" in body
        return False
