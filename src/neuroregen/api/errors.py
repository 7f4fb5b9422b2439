"""Coded errors of token authentication."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from neuroregen.core.errors import NotPermitted


class TokenScopeError(NotPermitted):
    code = "token_scope"
    default_message = _("This API token does not allow this request (see its access and apps).")


class TwoFactorRequired(NotPermitted):
    code = "two_factor_required"
    default_message = _(
        "Two-factor sign-in is required for this account: enrol an authenticator before "
        "using or creating API tokens."
    )
