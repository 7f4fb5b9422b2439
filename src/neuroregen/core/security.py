"""Request-level protections: Content-Security-Policy, staff two-factor, staff idle timeout.

Staff roles (everyone but families) see identity or clinical data of many children, so their
sessions need a second factor (TOTP, see :mod:`neuroregen.core.twofactor`) and end after a
short idle period. Families may enrol a second factor but are not made to.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from neuroregen.core.staff import is_staff_account
from neuroregen.core.twofactor import has_confirmed_device

LAST_SEEN_SESSION_KEY = "nr_last_seen"


def csp_header_value(policy: dict[str, list[str]]) -> str:
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in policy.items())


class ContentSecurityPolicyMiddleware:
    """Adds one Content-Security-Policy to every response (settings.NEUROREGEN_CSP)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.value = csp_header_value(settings.NEUROREGEN_CSP)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.value)
        return response


def _exempt(path: str) -> bool:
    # The sign-in steps themselves, static files and the token-authenticated API.
    prefixes = (
        reverse("login"),
        reverse("logout"),
        "/account/two-factor/",
        "/" + settings.STATIC_URL.lstrip("/"),
        "/i18n/",
        "/api/",
    )
    return path.startswith(prefixes)


class StaffIdleTimeoutMiddleware:
    """Signs out a staff session idle for longer than NEUROREGEN_STAFF_IDLE_MINUTES."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and is_staff_account(user):
            now = int(time.time())
            last = request.session.get(LAST_SEEN_SESSION_KEY)
            limit = settings.NEUROREGEN_STAFF_IDLE_MINUTES * 60
            if last is not None and now - int(last) > limit:
                logout(request)
                messages.info(
                    request,
                    _("You were signed out after %(minutes)s minutes without activity.")
                    % {"minutes": settings.NEUROREGEN_STAFF_IDLE_MINUTES},
                )
                if request.path.startswith("/api/"):
                    return JsonResponse(
                        {"code": "session_expired", "message": "The session has expired."},
                        status=401,
                    )
                return redirect(f"{reverse('login')}?{urlencode({'next': request.path})}")
            if last is None or now - int(last) >= 60:
                # Minute resolution is enough and spares a session write on every request.
                request.session[LAST_SEEN_SESSION_KEY] = now
        return self.get_response(request)


class StaffTwoFactorMiddleware:
    """Sends a staff session without a verified second factor to enrol or verify one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.NEUROREGEN_REQUIRE_2FA and not _exempt(request.path):
            user = getattr(request, "user", None)
            if (
                user is not None
                and user.is_authenticated
                and not user.is_verified()
                and is_staff_account(user)
            ):
                step = "two_factor_verify" if has_confirmed_device(user) else "two_factor_setup"
                return redirect(f"{reverse(step)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
