"""Signals about a user's sign-in that apps above core answer.

The user belongs to core; the credentials that must die with a sign-in (API tokens, today)
belong to apps above it, which connect receivers in their ``ready()``. The sender never imports
them.
"""

from __future__ import annotations

from django.dispatch import Signal

#: A user's sign-in is withdrawn (deactivation, two-factor reset): ``user``, ``reason``. Each
#: receiver revokes what it holds for that user and returns how many it revoked.
credentials_withdrawn = Signal()


def withdraw_credentials(*, user: object, reason: str) -> int:
    """Send :data:`credentials_withdrawn` and return the total revoked by every receiver."""
    responses = credentials_withdrawn.send(sender=type(user), user=user, reason=reason)
    return sum(int(count or 0) for _receiver, count in responses)
