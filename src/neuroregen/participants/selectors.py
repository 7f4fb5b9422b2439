"""Reads of the participants app. Every read starts from ``for_user``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, QuerySet

from neuroregen.core.errors import NotFound
from neuroregen.core.models import Site, User
from neuroregen.core.permissions import has_capability, require
from neuroregen.core.roles import Capability
from neuroregen.participants.models import ConsentDocument, Participant, ParticipantIdentity
from neuroregen.participants.services import identity_blind_index


def participant_list(
    *,
    user: User,
    search: str = "",
    status: str = "",
    site: str = "",
    severity: str = "",
) -> QuerySet[Participant]:
    """Participants the user may see, filtered. ``search`` matches the study code."""
    qs = Participant.objects.for_user(user).select_related("site")
    if search:
        qs = qs.filter(study_code__icontains=search.strip())
    if status:
        qs = qs.filter(status=status)
    if site:
        qs = qs.filter(site__code=site)
    if severity:
        # An unknown level matches nobody rather than failing: the filter comes from a URL.
        qs = qs.filter(dsm5_severity=int(severity)) if severity.isdigit() else qs.none()
    return qs.order_by("site__code", "study_code")


def participant_get(*, user: User, study_code: str) -> Participant:
    """One participant, or :class:`NotFound` — also when it exists out of the user's sight."""
    found = (
        Participant.objects.for_user(user)
        .select_related("site")
        .filter(study_code=study_code)
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def identity_get(*, user: User, participant: Participant) -> ParticipantIdentity | None:
    """The decrypted identity, for users holding ``view_identity`` at the participant's site."""
    if not has_capability(user, Capability.VIEW_IDENTITY, participant.site):
        return None
    return (
        ParticipantIdentity.objects.for_user(user, Capability.VIEW_IDENTITY)
        .filter(participant=participant)
        .first()
    )


def participant_find_by_identity(
    *, user: User, given_name: str, family_name: str, date_of_birth: dt.date
) -> QuerySet[Participant]:
    """Find children by name and birth date through the blind index, at the user's sites."""
    require(user, Capability.VIEW_IDENTITY)
    index = identity_blind_index(given_name, family_name, date_of_birth)
    identities = ParticipantIdentity.objects.for_user(user, Capability.VIEW_IDENTITY).filter(
        blind_index=index
    )
    return Participant.objects.for_user(user).filter(identity__in=identities).select_related("site")


def dashboard_counts(*, user: User) -> list[dict[str, Any]]:
    """Participants by site and status, for the site dashboard."""
    rows = (
        Participant.objects.for_user(user)
        .values("site__code", "site__name", "status")
        .annotate(n=Count("pk"))
        .order_by("site__code", "status")
    )
    return list(rows)


def consent_documents_in_use(*, on: dt.date) -> list[ConsentDocument]:
    return [d for d in ConsentDocument.objects.all() if d.in_use_on(on)]


def visible_sites(*, user: User, capability: Capability = Capability.VIEW) -> QuerySet[Site]:
    from neuroregen.core.permissions import sites_with

    return sites_with(user, capability)
