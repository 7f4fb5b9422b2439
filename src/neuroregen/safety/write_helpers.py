"""Small write helpers shared by the safety services: the participant's site zone, the
adverse event's timeline entry, and a number read from user input."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from neuroregen.core.audit import stamp
from neuroregen.core.errors import ValidationFailed
from neuroregen.core.models import User
from neuroregen.participants.models import Participant
from neuroregen.safety import choices as c
from neuroregen.safety.models import AdverseEvent, AdverseEventFollowUp


def site_zone(participant: Participant) -> str:
    return participant.site.time_zone


def follow_up(
    event: AdverseEvent, *, user: User, kind: str, note: str = "", changes: dict | None = None
) -> AdverseEventFollowUp:
    entry = AdverseEventFollowUp(
        event=event, kind=kind, note=note, changes=changes or {}, recorded_by=user
    )
    stamp(entry, user=user, reason=str(c.FollowUpKind(kind).label))
    entry.save()
    return entry


def to_decimal(value: Any, field: str) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationFailed(_("Enter a number."), field=field) from exc
