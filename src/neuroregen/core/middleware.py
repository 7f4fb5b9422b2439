"""Turns domain errors into HTTP responses, in one place."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _

from neuroregen.core.errors import DomainError


class UserLanguageMiddleware:
    """Shows a signed-in person's pages in the language kept on their account.

    Runs after ``LocaleMiddleware`` (which serves visitors from the cookie and the browser's
    Accept-Language) and after authentication; the account's choice wins over both, so it
    applies from the first page after sign-in on any browser. ``LocaleMiddleware`` then sets
    Content-Language from the language activated here.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        language = getattr(user, "preferred_language", "") if user is not None else ""
        if language and user.is_authenticated:  # type: ignore[union-attr]
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)


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
                request, ValidationFailed(_("Text may not contain NUL (0x00) characters."))
            )
        return self.get_response(request)

    @staticmethod
    def _has_nul(request: HttpRequest) -> bool:
        if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", ""):
            return True
        if request.method not in ("POST", "PUT", "PATCH"):
            return False
        if request.method == "POST" and request.content_type == "multipart/form-data":
            # Only the text fields: uploaded files are bytes (every PNG, JPEG and PDF holds NUL,
            # UTF-16 text is half NUL) and are checked by the upload helpers. Parsing the form
            # here streams large files to disk instead of reading the body into memory.
            return any("\x00" in value for _key, values in request.POST.lists() for value in values)
        body = request.body
        return b"\x00" in body or b"%00" in body or b"\\u0000" in body


class AccessMiddleware:
    """Deny by default: a page opens only if its view declares who it is for (``core.access``)
    and the signed-in user is among them. Anonymous visitors are sent to sign in.

    Django's admin checks staff status itself and the API dispatches through
    ``core.access.enforce_operation`` after token authentication, so both are left to those.
    """

    DELEGATED_NAMESPACES = frozenset({"admin", "api"})

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        from django.contrib.auth.views import redirect_to_login

        from neuroregen.core.access import declared
        from neuroregen.core.errors import NotPermitted

        match = request.resolver_match
        if match is not None and self.DELEGATED_NAMESPACES & set(match.namespaces):
            return None
        access = declared(view_func)
        if access is None:
            return domain_error_response(
                request, NotPermitted(route=request.path, reason="undeclared")
            )
        if access.allows(request.user):
            return None
        if access.needs_sign_in() and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return domain_error_response(request, NotPermitted())
