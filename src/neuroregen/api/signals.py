"""A password change, a removed authenticator or a withdrawn sign-in revokes the user's API
tokens, whichever code path did it."""

from __future__ import annotations

from typing import Any


def revoke_tokens_on_password_change(sender: Any, instance: Any, **kwargs: Any) -> None:
    # set_password() keeps the new raw password in ``_password`` until the save completes.
    if instance.pk is None or getattr(instance, "_password", None) is None:
        return
    from neuroregen.api.services import api_tokens_revoke_all

    api_tokens_revoke_all(user=instance, reason="password changed")


def revoke_tokens_on_authenticator_removal(sender: Any, instance: Any, **kwargs: Any) -> None:
    # Removing a confirmed authenticator (administrator reset, re-enrolment after a lost phone,
    # a family switching two-factor off) resets the second factor the tokens relied on.
    if not getattr(instance, "confirmed", False):
        return
    from neuroregen.api.services import api_tokens_revoke_all

    api_tokens_revoke_all(user=instance.user, reason="two-factor sign-in reset")


def revoke_tokens_on_credentials_withdrawn(
    sender: Any, user: Any, reason: str, **kwargs: Any
) -> int:
    from neuroregen.api.services import api_tokens_revoke_all

    return api_tokens_revoke_all(user=user, reason=reason)
