"""Recall of a lot: signed, and brought to the investigators of every recipient.

:func:`lot_recall` needs the same Part 11 e-signature as release. In the same transaction it
opens a :class:`~neuroregen.products.models.RecallNotice` for every participant who received the
lot, at that participant's site, whoever's site made the lot: the notice appears on the site
dashboard of that site's investigators and on the participant's page until one of them records
what was done (:func:`recall_notice_acknowledge`).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from neuroregen.core.errors import InvalidTransition, ValidationFailed
from neuroregen.core.models import User
from neuroregen.core.permissions import has_capability, require
from neuroregen.core.roles import Capability
from neuroregen.core.scoping import is_family
from neuroregen.core.services import signature_create
from neuroregen.participants.models import Participant
from neuroregen.products import choices as c
from neuroregen.products.models import Administration, Lot, LotRecall, RecallNotice
from neuroregen.products.write_helpers import locked, save, transition

RECALL_MEANING = "Recalled from clinical use"


@transaction.atomic
def lot_recall(
    *, user: User, lot: Lot, reason: str, password: str, meaning: str = RECALL_MEANING
) -> Lot:
    """Recall a lot under e-signature and notify the investigators of every recipient.

    A wrong password writes nothing: no status change, no recall record, no notices.
    """
    require(user, Capability.RELEASE_LOT, lot.site)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give the reason for the recall."), field="reason")
    lot = locked(lot)
    if hasattr(lot, "recall"):
        raise InvalidTransition(_("This lot has already been recalled."))
    lot.recall_reason = reason
    transition(lot, c.LotStatus.RECALLED, user=user, reason=f"recalled: {reason}")
    recall = LotRecall(
        lot=lot,
        site=lot.site,
        recalled_by=user,
        reason=reason,
        meaning=(meaning or "").strip(),
    )
    save(recall, user=user, reason="recalled")
    signature_create(user=user, password=password, meaning=meaning, record=recall)
    # Every recipient at every site: the recall must reach children the recalling site
    # cannot see itself.
    recipients = (
        Administration.objects.filter(lot=lot)
        .values("participant_id", "participant__site_id")
        .annotate(n=Count("pk"))
        .order_by("participant_id")
    )
    for row in recipients:
        notice = RecallNotice(
            recall=recall,
            lot=lot,
            participant_id=row["participant_id"],
            site_id=row["participant__site_id"],
            administrations=row["n"],
        )
        save(notice, user=user, reason="recall notice opened")
    return lot


@transaction.atomic
def recall_notice_acknowledge(
    *, user: User, notice: RecallNotice, action_taken: str
) -> RecallNotice:
    """An investigator of the participant's site records what was done about the recall."""
    require(user, Capability.SIGN_CLINICAL, notice.site)
    notice = RecallNotice.objects.select_for_update(of=("self",)).get(pk=notice.pk)
    if not notice.is_open:
        raise InvalidTransition(_("This recall notice has already been acknowledged."))
    action_taken = (action_taken or "").strip()
    if not action_taken:
        raise ValidationFailed(
            _("Say what was done (e.g. family informed, follow-up visit booked)."),
            field="action_taken",
        )
    notice.acknowledged_at = timezone.now()
    notice.acknowledged_by = user
    notice.action_taken = action_taken
    save(notice, user=user, reason=f"acknowledged: {action_taken}")
    return notice


# --- reads ---------------------------------------------------------------------------------


def open_recall_notices(
    *, user: User, participant: Participant | None = None
) -> QuerySet[RecallNotice]:
    """Unacknowledged recall notices of the user's sites (staff only; families never)."""
    if not user.is_authenticated or is_family(user):
        return RecallNotice.objects.none()
    notices = RecallNotice.objects.for_user(user).filter(acknowledged_at__isnull=True)
    if participant is not None:
        notices = notices.filter(participant=participant)
    return notices.select_related("lot", "participant", "recall", "site").order_by(
        "-recall__recalled_at", "pk"
    )


def may_acknowledge(user: User, notice: RecallNotice) -> bool:
    return has_capability(user, Capability.SIGN_CLINICAL, notice.site)
