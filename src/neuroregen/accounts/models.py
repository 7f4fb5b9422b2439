"""The audit trail of account administration: who did what to which account, and why."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from neuroregen.accounts.choices import AccountAction
from neuroregen.core.audit import AppendOnlyModel


class AccountEvent(AppendOnlyModel):
    """One administrative action on an account. Append-only: never edited or deleted."""

    action = models.CharField(_("action"), max_length=20, choices=AccountAction.choices)
    target = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="account_events",
        verbose_name=_("account"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("by"),
    )
    reason = models.TextField(_("reason"))
    details = models.JSONField(_("details"), default=dict, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("account event")
        verbose_name_plural = _("account events")

    def __str__(self) -> str:
        return f"{self.get_action_display()} · {self.target} · {self.actor}"

    def detail_text(self) -> str:
        parts: list[Any] = [f"{key}: {value}" for key, value in sorted(self.details.items())]
        return "; ".join(str(p) for p in parts)
