"""Request types for views behind ``login_required``."""

from __future__ import annotations

from django.http import HttpRequest

from neuroregen.core.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """An ``HttpRequest`` whose user has signed in (views decorated with ``login_required``)."""

    user: User
