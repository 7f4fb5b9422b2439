"""Small write helpers shared by the products services: audited save, lot lock, status move."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from neuroregen.core.audit import stamp
from neuroregen.core.errors import InvalidTransition
from neuroregen.core.models import User
from neuroregen.products import choices as c
from neuroregen.products.models import Lot


def save(obj: models.Model, *, user: User, reason: str) -> None:
    stamp(obj, user=user, reason=reason)
    obj.save()


def locked(lot: Lot) -> Lot:
    return Lot.objects.select_for_update(of=("self",)).get(pk=lot.pk)


def transition(lot: Lot, to: str, *, user: User, reason: str) -> Lot:
    if to not in c.LOT_TRANSITIONS[lot.status]:
        raise InvalidTransition(
            _("A lot cannot go from “%(old)s” to “%(new)s”.")
            % {"old": lot.get_status_display(), "new": c.LotStatus(to).label}
        )
    lot.status = to
    lot.status_changed_at = timezone.now()
    save(lot, user=user, reason=reason)
    return lot
