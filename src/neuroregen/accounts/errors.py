"""Coded errors of account administration."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from neuroregen.core.errors import DomainError


class WelcomeLinkUnusable(DomainError):
    code = "welcome_link_unusable"
    status = 410
    default_message = _(
        "This link has been used or has expired. Ask an administrator for a new invitation."
    )
