"""Reads of the products app. Every read starts from ``Model.objects.for_user(user)``.

Visibility of an allogeneic lot: its holding (manufacturing) site, and every site that holds
one of its containers (see ``models`` docstring). A user who may see a lot sees its whole chain
of custody and QC, because the chain is only meaningful whole.

Look-back for other apps: :func:`lookback_administrations` and :func:`lookback_recipients`
return querysets (scoped to the user) that the safety and evidence apps can join onto, e.g.
``AdverseEvent.objects.for_user(user).filter(participant__in=lookback_recipients(...))``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from neuroregen.core.errors import NotFound
from neuroregen.core.models import User
from neuroregen.participants.models import Participant
from neuroregen.products import choices as c
from neuroregen.products import hla, validators
from neuroregen.products.errors import InvalidCode
from neuroregen.products.models import (
    Administration,
    AntibodyScreen,
    Container,
    CustodyEvent,
    Donor,
    HLATyping,
    IPSCLine,
    Lot,
    QCResult,
    QCSpecification,
    SourceMaterial,
)


def visible_lots(user: User) -> QuerySet[Lot]:
    held = Lot.objects.for_user(user)
    via_containers = Container.objects.for_user(user).values("lot_id")
    return Lot.objects.filter(Q(pk__in=held.values("pk")) | Q(pk__in=via_containers))


def lot_list(*, user: User, search: str = "", status: str = "", kind: str = "") -> QuerySet[Lot]:
    qs = visible_lots(user).select_related("site", "participant", "release")
    if search:
        qs = qs.filter(
            Q(code__icontains=search.strip()) | Q(participant__study_code__icontains=search.strip())
        )
    if status:
        qs = qs.filter(status=status)
    if kind == "autologous":
        qs = qs.filter(participant__isnull=False)
    elif kind == "allogeneic":
        qs = qs.filter(participant__isnull=True)
    return qs.annotate(n_containers=Count("containers", distinct=True)).order_by(
        "-manufacture_started_on", "code"
    )


def lot_get(*, user: User, code: str) -> Lot:
    found = (
        visible_lots(user)
        .select_related(
            "site", "participant", "source", "source__donor", "ipsc_line", "arm", "qc_specification"
        )
        .filter(code=code.strip().upper())
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def container_get(*, user: User, code: str) -> Container:
    found = (
        Container.objects.for_user(user)
        .select_related("lot", "lot__participant", "lot__arm", "site")
        .filter(code=code.strip().upper())
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def containers_of(*, user: User, lot: Lot) -> QuerySet[Container]:
    """All containers of a lot its holder may see; only the local ones for a receiving site."""
    if Lot.objects.for_user(user).filter(pk=lot.pk).exists():
        return lot.containers.select_related("site").order_by("sequence")
    return Container.objects.for_user(user).filter(lot=lot).select_related("site")


def source_get(*, user: User, code: str) -> SourceMaterial:
    found = (
        SourceMaterial.objects.for_user(user)
        .select_related("participant", "donor", "site")
        .filter(code=code.strip().upper())
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def donor_get(*, user: User, code: str) -> Donor:
    found = Donor.objects.for_user(user).filter(code=code.strip().upper()).first()
    if found is None:
        raise NotFound()
    return found


def line_get(*, user: User, code: str) -> IPSCLine:
    found = (
        IPSCLine.objects.for_user(user)
        .select_related("source")
        .filter(code=code.strip().upper())
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def resolve_code(*, user: User, scanned: str) -> tuple[str, Any]:
    """What a scanned label names: (kind, object), for any chain-of-identity code or study code.

    Raises :class:`InvalidCode` for a misread code (check digits) and :class:`NotFound` for a
    well-formed code the user may not see or that does not exist.
    """
    try:
        code = validators.parse_code(scanned)
    except ValueError as exc:
        raise InvalidCode(str(exc)) from exc
    prefix = code.split("-")[0]
    if prefix == "P":
        participant = Participant.objects.for_user(user).filter(study_code=code).first()
        if participant is None:
            raise NotFound()
        return "participant", participant
    getters: dict[str, tuple[str, Any]] = {
        c.CodePrefix.LOT: ("lot", lot_get),
        c.CodePrefix.CONTAINER: ("container", container_get),
        c.CodePrefix.SOURCE: ("source", source_get),
        c.CodePrefix.DONOR: ("donor", donor_get),
        c.CodePrefix.IPSC_LINE: ("line", line_get),
    }
    if prefix == c.CodePrefix.ADMINISTRATION:
        found = Administration.objects.for_user(user).filter(code=code).first()
        if found is None:
            raise NotFound()
        return "administration", found
    kind, getter = getters[prefix]
    return kind, getter(user=user, code=code)


def lot_qc_verdict(lot: Lot) -> validators.QCVerdict:
    """The lot's standing against its own specification over every result and investigation."""
    by_item: dict[int, list[QCResult]] = {}
    for result in lot.qc_results.select_related("item", "investigation").order_by(
        "recorded_at", "pk"
    ):
        result.oos_investigation = getattr(result, "investigation", None)
        by_item.setdefault(result.item_id, []).append(result)
    return validators.qc_verdict(lot.qc_specification.items.all(), by_item)


def qc_results(*, user: User, lot: Lot) -> QuerySet[QCResult]:
    """Every QC result of the lot (re-tests included), each with its investigation and
    deviations, in specification order and then in the order they were recorded."""
    return (
        lot.qc_results.select_related(
            "item",
            "recorded_by",
            "investigation",
            "investigation__opened_by",
            "investigation__concluded_by",
        )
        .prefetch_related("deviations")
        .order_by("item__position", "recorded_at", "pk")
    )


def custody_timeline(
    *, user: User, lot: Lot, container: Container | None = None
) -> QuerySet[CustodyEvent]:
    """The chain of custody in time order (``lot`` must come from :func:`lot_get`)."""
    events = CustodyEvent.objects.filter(lot=lot)
    if not Lot.objects.for_user(user).filter(pk=lot.pk).exists():
        # A receiving site sees the lot-level chain and its own containers' events.
        events = events.filter(
            Q(container__isnull=True) | Q(container__in=Container.objects.for_user(user))
        )
    if container is not None:
        events = events.filter(Q(container__isnull=True) | Q(container=container))
    return (
        events.select_related("container", "recorded_by", "assesses", "corrects", "site")
        .prefetch_related("assessment")
        .order_by("occurred_at", "pk")
    )


def open_excursions(*, user: User) -> QuerySet[CustodyEvent]:
    """Excursions awaiting assessment at the user's sites (a work list for quality)."""
    return (
        CustodyEvent.objects.for_user(user)
        .filter(is_excursion=True, assessment__isnull=True)
        .select_related("lot", "container")
    )


def specifications() -> QuerySet[QCSpecification]:
    return QCSpecification.objects.prefetch_related("items").order_by("product_type", "version")


# --- look-back and recall ------------------------------------------------------------------


def lots_from(
    *, lot: Lot | None = None, source: SourceMaterial | None = None, donor: Donor | None = None
) -> QuerySet[Lot]:
    """The lots descending from a lot (itself), a source material or a donor."""
    if lot is not None:
        return Lot.objects.filter(pk=lot.pk)
    if source is not None:
        return Lot.objects.filter(source=source)
    if donor is not None:
        return Lot.objects.filter(source__donor=donor)
    raise ValueError("give a lot, a source or a donor")


def lookback_administrations(
    *,
    user: User,
    lot: Lot | None = None,
    source: SourceMaterial | None = None,
    donor: Donor | None = None,
) -> QuerySet[Administration]:
    """Every administration from the lot / source / donor that the user may see."""
    return (
        Administration.objects.for_user(user)
        .filter(lot__in=lots_from(lot=lot, source=source, donor=donor))
        .select_related("participant", "participant__site", "lot", "container", "arm")
        .order_by("started_at")
    )


def lookback_recipients(
    *,
    user: User,
    lot: Lot | None = None,
    source: SourceMaterial | None = None,
    donor: Donor | None = None,
) -> QuerySet[Participant]:
    """Every participant who received the lot / anything from the source or donor (visible)."""
    administrations = lookback_administrations(user=user, lot=lot, source=source, donor=donor)
    return (
        Participant.objects.for_user(user)
        .filter(pk__in=administrations.values("participant_id"))
        .select_related("site")
    )


def lookback_by_site(
    *, lot: Lot | None = None, source: SourceMaterial | None = None, donor: Donor | None = None
) -> list[dict[str, Any]]:
    """Recipients and administrations per site — counts only, so the holder of a lot knows which
    sites to notify without seeing other sites' participants."""
    rows = (
        Administration.objects.filter(lot__in=lots_from(lot=lot, source=source, donor=donor))
        .values("site__code")
        .annotate(recipients=Count("participant", distinct=True), administrations=Count("pk"))
        .order_by("site__code")
    )
    return list(rows)


@dataclass(frozen=True)
class RecallContact:
    participant: Participant
    administrations: list[Administration]


def recall_contacts(*, user: User, lot: Lot) -> list[RecallContact]:
    """Who must be contacted about a recalled lot (those the user's sites look after)."""
    by_participant: dict[int, RecallContact] = {}
    for administration in lookback_administrations(user=user, lot=lot):
        entry = by_participant.setdefault(
            administration.participant_id, RecallContact(administration.participant, [])
        )
        entry.administrations.append(administration)
    return list(by_participant.values())


def containers_outstanding(*, user: User, lot: Lot) -> QuerySet[Container]:
    """Containers not yet given or destroyed: to quarantine and retrieve on recall."""
    return containers_of(user=user, lot=lot).filter(
        status__in=[c.ContainerStatus.AVAILABLE, c.ContainerStatus.IN_TRANSIT]
    )


def administrations_with_reactions(*, user: User) -> QuerySet[Administration]:
    """Administrations with an immediate reaction: the safety app's intake list."""
    return (
        Administration.objects.for_user(user)
        .exclude(reaction=c.Reaction.NONE)
        .select_related("participant", "lot")
    )


def participant_administrations(
    *, user: User, participant: Participant
) -> QuerySet[Administration]:
    return (
        Administration.objects.for_user(user)
        .filter(participant=participant)
        .select_related("lot", "container", "arm", "administered_by")
        .order_by("started_at")
    )


# --- immunological compatibility -----------------------------------------------------------


@dataclass(frozen=True)
class DonorMatch:
    donor: Donor
    grade: hla.MatchGrade | None
    mismatched: list[str]


def compatibility(*, user: User, participant: Participant) -> dict[str, Any]:
    """HLA typing, match grade to every donor received, and the antibody history."""
    typing = HLATyping.objects.for_user(user).filter(participant=participant).first()
    donors = (
        Donor.objects.for_user(user)
        .filter(
            source_materials__lots__administrations__in=participant_administrations(
                user=user, participant=participant
            )
        )
        .distinct()
    )
    matches = []
    for donor in donors:
        donor_typing = donor.hla_typings.first()
        if typing is None or donor_typing is None:
            matches.append(DonorMatch(donor, None, []))
            continue
        matches.append(
            DonorMatch(
                donor,
                hla.match_grade(donor_typing.typing(), typing.typing()),
                sorted(hla.mismatched_donor_antigens(donor_typing.typing(), typing.typing())),
            )
        )
    screens = AntibodyScreen.objects.for_user(user).filter(participant=participant)
    return {"typing": typing, "matches": matches, "screens": screens}


def new_dsa_flags(*, user: User) -> QuerySet[AntibodyScreen]:
    """Antibody screens with a new donor-specific antibody: for safety review."""
    return AntibodyScreen.objects.for_user(user).filter(new_dsa=True).select_related("participant")
