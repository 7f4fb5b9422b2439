"""At the bedside: whether a container may be given to a child now, the planned volume, and the
administration itself after the scanned identity check (``administer_product`` at the
participant's site).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from neuroregen.core.errors import ValidationFailed
from neuroregen.core.models import User
from neuroregen.core.numbers import significant
from neuroregen.core.permissions import require
from neuroregen.core.roles import Capability
from neuroregen.core.time import to_site
from neuroregen.participants import choices as pc
from neuroregen.participants import services as participant_services
from neuroregen.participants.models import Anthropometry, Participant
from neuroregen.products import choices as c
from neuroregen.products import signals, validators
from neuroregen.products.custody import excursion_blockers
from neuroregen.products.errors import DoseOutOfRange, IdentityMismatch, InvalidCode, ProductRefused
from neuroregen.products.models import Administration, Container, Lot
from neuroregen.products.write_helpers import locked, new_code, not_future, save, transition
from neuroregen.protocols.dose import DoseOutOfBounds, compute_dose
from neuroregen.protocols.models import Arm


def current_arm(participant: Participant) -> Arm | None:
    from neuroregen.protocols.selectors import current_assignment

    assignment = current_assignment(participant)
    return assignment.arm if assignment is not None else None


def administration_blockers(
    *, container: Container, participant: Participant, at: dt.datetime | None = None
) -> list[str]:
    """Every reason this container may not be given to this participant now (empty: go).

    The identity mismatch of an autologous product is always reported first.
    """
    at = at or timezone.now()
    lot = container.lot
    problems: list[str] = []
    if lot.is_autologous and lot.participant_id != participant.pk:
        return [_("WRONG PARTICIPANT: this autologous product was made for another child.")]
    if container.status != c.ContainerStatus.AVAILABLE:
        problems.append(
            _("The container is %(status)s.") % {"status": container.get_status_display().lower()}
        )
    if lot.status not in c.USABLE_LOT_STATUSES:
        problems.append(
            _("The lot is %(status)s, not released for use.")
            % {"status": lot.get_status_display().lower()}
        )
    elif not hasattr(lot, "release"):
        problems.append(_("The lot has no signed release."))
    if lot.is_expired(at):
        problems.append(
            _("The lot expired at %(when)s.") % {"when": f"{lot.expires_at:%Y-%m-%d %H:%M}"}
        )
    problems.extend(excursion_blockers(container))
    if container.site_id != participant.site_id:
        problems.append(_("The container has not been received at this participant's site."))
    if participant.status != pc.ParticipantStatus.ENROLLED:
        problems.append(_("The participant is not enrolled."))
    arm = current_arm(participant)
    if arm is None:
        problems.append(_("The participant has no confirmed arm assignment."))
    elif arm.product_type != lot.product_type:
        problems.append(
            _("The participant's arm receives %(theirs)s, not %(this)s.")
            % {"theirs": arm.get_product_type_display(), "this": lot.get_product_type_display()}
        )
    elif not lot.is_autologous and lot.arm_id != arm.pk:
        problems.append(_("This lot is not allocated to the participant's arm."))
    elif participant.administrations.filter(arm=arm).count() >= arm.administrations:
        problems.append(
            _("The arm's %(n)s planned administration(s) have all been given.")
            % {"n": arm.administrations}
        )
    return problems


def _day_weight(participant: Participant, day: dt.date) -> Anthropometry | None:
    return participant.anthropometry.filter(measured_on=day).order_by("-pk").first()


def planned_volume_ml(*, lot: Lot, arm: Arm, weight_kg: Decimal) -> Decimal:
    """Volume delivering the arm's planned dose at this weight and the lot's concentration."""
    calculation = compute_dose(arm.dose_rule(), weight_kg)
    return (calculation.total / lot.concentration).quantize(Decimal("0.01"))


@transaction.atomic
def administration_record(
    *,
    user: User,
    participant: Participant,
    container: Container,
    scanned_participant_code: str,
    scanned_container_code: str,
    started_at: dt.datetime,
    stopped_at: dt.datetime,
    volume_ml: Decimal,
    weight_kg: Decimal | None = None,
    premedication: str = "",
    reaction: str = c.Reaction.NONE,
    reaction_description: str = "",
    notes: str = "",
) -> Administration:
    """Record an administration after the bedside identity check.

    Both scanned codes must be valid and name this participant and this container; the product
    must pass :func:`administration_blockers`; the dose delivered (volume × lot concentration)
    per kg of the day's weight must lie within the arm's dose rule. ``weight_kg``, when given,
    is recorded as the day's weight first. The first administration sets day 0 of the schedule
    (``visits.services.day_zero_record``). An immediate reaction is passed on to the safety app
    (``signals.administration_reaction_recorded``) in this same transaction, so the adverse
    event and the administration are saved together or not at all.
    """
    require(user, Capability.ADMINISTER_PRODUCT, participant.site)
    try:
        p_code = validators.parse_code(scanned_participant_code, expected={"P"})
        ct_code = validators.parse_code(scanned_container_code, expected={c.CodePrefix.CONTAINER})
    except ValueError as exc:
        raise InvalidCode(str(exc)) from exc
    if p_code != participant.study_code:
        raise IdentityMismatch(
            _("The wristband scanned (%(code)s) is not this participant's.") % {"code": p_code}
        )
    if ct_code != container.code:
        raise IdentityMismatch(
            _("The container scanned (%(code)s) is not the one selected.") % {"code": ct_code}
        )
    participant = Participant.objects.select_for_update(of=("self",)).get(pk=participant.pk)
    container = (
        Container.objects.select_for_update(of=("self",)).select_related("lot").get(pk=container.pk)
    )
    lot = locked(container.lot)
    container.lot = lot
    problems = administration_blockers(container=container, participant=participant, at=started_at)
    if problems:
        wrong_child = lot.is_autologous and lot.participant_id != participant.pk
        error = (IdentityMismatch if wrong_child else ProductRefused)(" ".join(problems))
        error.params = {"problems": problems}
        raise error
    participant_services.ensure_data_entry_allowed(
        participant, pc.DataEntryKind.CONTACT, on=to_site(started_at, participant).date()
    )
    not_future(started_at, "started_at", participant)
    if stopped_at < started_at:
        raise ValidationFailed(_("The stop time precedes the start."), field="stopped_at")
    if reaction not in c.Reaction.values:
        raise ValidationFailed(_("Unknown reaction."), field="reaction")
    if reaction != c.Reaction.NONE and not reaction_description.strip():
        raise ValidationFailed(_("Describe the reaction."), field="reaction_description")
    arm = current_arm(participant)
    assert arm is not None  # noqa: S101 - administration_blockers refuses a missing arm
    if c.CONCENTRATION_FOR_DOSE_UNIT.get(arm.dose_unit) != lot.concentration_unit:
        raise ProductRefused(_("The lot's concentration unit does not match the arm's dose unit."))
    site_day = timezone.localtime(started_at, ZoneInfo(participant.site.time_zone)).date()
    if weight_kg is not None:
        participant_services.anthropometry_record(
            user=user, participant=participant, measured_on=site_day, weight_kg=weight_kg
        )
    weighed = _day_weight(participant, site_day)
    if weighed is None:
        raise ValidationFailed(
            _("Record the participant's weight today before dosing."), field="weight_kg"
        )
    if volume_ml <= 0 or volume_ml > container.volume_ml:
        raise DoseOutOfRange(
            _("The volume must be positive and at most the container's %(v)s mL.")
            % {"v": container.volume_ml},
            field="volume_ml",
        )
    delivered = volume_ml * lot.concentration
    per_kg = delivered / weighed.weight_kg
    try:
        calculation = compute_dose(arm.dose_rule(), weighed.weight_kg, per_kg)
    except DoseOutOfBounds as exc:
        raise DoseOutOfRange(
            _(
                "Dose refused: %(vol)s mL × %(conc)s = %(dose)s %(unit)s per kg "
                "at %(kg)s kg; %(why)s."
            )
            % {
                "vol": volume_ml,
                "conc": significant(lot.concentration),
                "dose": significant(per_kg),
                "unit": arm.dose_unit,
                "kg": weighed.weight_kg,
                "why": exc,
            },
            field="volume_ml",
        ) from exc
    if calculation.capped:
        raise DoseOutOfRange(
            _("Dose refused: %(dose)s exceeds the arm's maximum total dose.")
            % {"dose": significant(delivered)},
            field="volume_ml",
        )
    is_first = not participant.administrations.exists()
    administration = Administration(
        code=new_code(Administration, c.CodePrefix.ADMINISTRATION),
        participant=participant,
        site=participant.site,
        container=container,
        lot=lot,
        arm=arm,
        administered_by=user,
        scanned_participant_code=p_code,
        scanned_container_code=ct_code,
        route=arm.route,
        started_at=started_at,
        stopped_at=stopped_at,
        volume_ml=volume_ml,
        weight_kg=weighed.weight_kg,
        dose_total=delivered.quantize(Decimal("0.0001")),
        dose_per_kg=per_kg.quantize(Decimal("0.0001")),
        dose_unit=arm.dose_unit,
        premedication=premedication.strip(),
        reaction=reaction,
        reaction_description=reaction_description.strip(),
        is_first=is_first,
        notes=notes.strip(),
    )
    save(administration, user=user, reason="administered")
    container.status = c.ContainerStatus.ADMINISTERED
    save(container, user=user, reason=f"administered ({administration.code})")
    if lot.status != c.LotStatus.ADMINISTERED:
        transition(
            lot, c.LotStatus.ADMINISTERED, user=user, reason=f"administered ({administration.code})"
        )
    if is_first:
        from neuroregen.visits.services import day_zero_record

        day_zero_record(
            user=user, participant=participant, day_zero=started_at, reason="first administration"
        )
    if administration.has_reaction:
        signals.administration_reaction_recorded.send(
            sender=Administration, user=user, administration=administration
        )
    return administration
