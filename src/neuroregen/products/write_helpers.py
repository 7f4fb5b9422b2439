"""Small write helpers shared by the products services: a fresh code, the checks every service
makes (capability, not in the future), audited save, lot lock, status move."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from neuroregen.core import codes
from neuroregen.core.audit import stamp
from neuroregen.core.errors import InvalidTransition, NotPermitted, ValidationFailed
from neuroregen.core.models import Site, User
from neuroregen.core.permissions import has_capability
from neuroregen.core.roles import Capability
from neuroregen.core.time import site_today
from neuroregen.products import choices as c
from neuroregen.products.models import Lot


def new_code(model: type[models.Model], prefix: str) -> str:
    return codes.unused_code(
        prefix, taken=lambda code: model._default_manager.filter(code=code).exists()
    )


def require_any(user: User, capabilities: Sequence[Capability], site: Site) -> None:
    if not any(has_capability(user, cap, site) for cap in capabilities):
        raise NotPermitted(capability=capabilities[0].value)


def not_future(when: dt.datetime | dt.date, field: str, where: Any) -> None:
    """Refuse a moment after now, or a date after today at the site of ``where``.

    A date is a calendar day at the record's site: the server's UTC date is a day behind in
    Kyiv after 22:00 UTC and a day ahead in Honolulu after 14:00 local.
    """
    if isinstance(when, dt.datetime):
        late = when > timezone.now()
    else:
        late = when > site_today(where)
    if late:
        raise ValidationFailed(_("This date or time is in the future."), field=field)


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
