"""Immunological compatibility: HLA typing of participants and donors, and anti-HLA antibody
screens, whose new donor-specific antibodies are handed to the safety app for review.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from django.db import transaction
from django.utils.translation import gettext as _

from neuroregen.core.errors import ValidationFailed
from neuroregen.core.models import User
from neuroregen.core.permissions import require
from neuroregen.core.roles import Capability
from neuroregen.core.time import to_site
from neuroregen.core.validation import full_clean_or_fail
from neuroregen.participants.models import Participant
from neuroregen.products import choices as c
from neuroregen.products import hla, signals
from neuroregen.products.models import HLA_LOCI, AntibodyScreen, Donor, HLATyping
from neuroregen.products.write_helpers import not_future, save


def _alleles(alleles: Mapping[str, Sequence[str]]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for locus in HLA_LOCI:
        values = [str(a).strip() for a in alleles.get(locus, ()) if str(a).strip()]
        if len(values) > 2:
            raise ValidationFailed(_("At most two alleles per locus."), field=locus)
        values += [""] * (2 - len(values))
        fields[f"{locus}_1"], fields[f"{locus}_2"] = values
    for locus in ("a", "b", "drb1"):
        if not fields[f"{locus}_1"]:
            raise ValidationFailed(_("HLA-A, -B and -DRB1 are required."), field=locus)
    return fields


@transaction.atomic
def hla_typing_record(
    *,
    user: User,
    typed_on: dt.date,
    resolution: str,
    alleles: Mapping[str, Sequence[str]],
    participant: Participant | None = None,
    donor: Donor | None = None,
) -> HLATyping:
    if (participant is None) == (donor is None):
        raise ValidationFailed(_("Type a participant or a donor."), field="participant")
    site = participant.site if participant is not None else donor.site  # type: ignore[union-attr]
    require(user, Capability.LAB_WRITE, site)
    not_future(typed_on, "typed_on", site)
    typing = HLATyping(
        site=site,
        participant=participant,
        donor=donor,
        typed_on=typed_on,
        resolution=resolution,
        **_alleles(alleles),
    )
    typing.full_clean()
    save(typing, user=user, reason="typed")
    return typing


def mismatched_antigens_for(participant: Participant) -> set[str]:
    """Mismatched antigens of every donor whose product this participant received."""
    recipient = participant.hla_typings.first()
    if recipient is None:
        return set()
    donors = Donor.objects.filter(
        source_materials__lots__administrations__participant=participant
    ).distinct()
    mismatched: set[str] = set()
    for donor in donors:
        typing = donor.hla_typings.first()
        if typing is not None:
            mismatched |= hla.mismatched_donor_antigens(typing.typing(), recipient.typing())
    return mismatched


@transaction.atomic
def antibody_screen_record(
    *,
    user: User,
    participant: Participant,
    sampled_on: dt.date,
    result: str,
    specificities: str = "",
    max_mfi: int | None = None,
) -> AntibodyScreen:
    """Record an anti-HLA screen; antibodies against a received donor's mismatched antigens
    that were absent before the first administration are flagged as new DSA for safety review.
    """
    require(user, Capability.LAB_WRITE, participant.site)
    not_future(sampled_on, "sampled_on", participant)
    if result not in c.AntibodyResult.values:
        raise ValidationFailed(_("Unknown result."), field="result")
    if result == c.AntibodyResult.NEGATIVE:
        specificities = ""
    dsa: set[str] = set()
    new: set[str] = set()
    if result == c.AntibodyResult.POSITIVE:
        dsa = hla.donor_specific(specificities, mismatched_antigens_for(participant))
        first = participant.administrations.order_by("started_at").first()
        # The dose's date on the site's calendar, the calendar ``sampled_on`` is written in.
        dosed_on = to_site(first.started_at, participant).date() if first is not None else None
        if dsa and dosed_on is not None and sampled_on >= dosed_on:
            before: set[str] = set()
            for screen in participant.antibody_screens.filter(sampled_on__lt=dosed_on):
                before |= hla.parse_specificities(screen.specificities)
            new = dsa - before
    screen = AntibodyScreen(
        participant=participant,
        site=participant.site,
        sampled_on=sampled_on,
        result=result,
        specificities=specificities.strip(),
        max_mfi=max_mfi,
        donor_specific=", ".join(sorted(dsa)),
        new_dsa=bool(new),
    )
    full_clean_or_fail(screen)
    save(screen, user=user, reason="recorded")
    if new:
        signals.new_donor_specific_antibody.send(
            sender=AntibodyScreen, user=user, screen=screen, new_specificities=new
        )
    return screen
