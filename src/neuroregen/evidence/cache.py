"""Computed evidence kept until the data change, so a page view does not redo every analysis.

The key holds the user, the sites the user may see, the protocol, the choices on the page and
the **data version**: the id and time of the latest history row of every table the evidence
frames read (each save or delete of clinical data writes one, ``core.audit.AuditedModel``)
and a digest of the small reference tables without history (score metadata, domain mappings,
sites). Any change to the data therefore changes the key; stale entries are never read and
expire.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache

from neuroregen.core.roles import Capability
from neuroregen.core.scoping import site_grant

__all__ = ["cached", "data_version", "scope_key"]

T = TypeVar("T")
_DEFAULT_SECONDS = 3600


def _audited_sources() -> list[Any]:
    from neuroregen.biomarkers.models import Measurement
    from neuroregen.instruments.models import Response
    from neuroregen.participants.models import Participant, ParticipantComorbidity, Withdrawal
    from neuroregen.products.models import Administration, Lot
    from neuroregen.protocols.models import Arm, Assignment, Protocol, ReferenceSd
    from neuroregen.safety.models import AdverseEvent
    from neuroregen.visits.models import Visit

    return [
        Participant,
        ParticipantComorbidity,
        Withdrawal,
        Assignment,
        Protocol,
        ReferenceSd,
        Arm,
        Visit,
        Response,
        Measurement,
        AdverseEvent,
        Administration,
        Lot,
    ]


def data_version() -> str:
    """A token that changes whenever anything the evidence frames read changes (one small
    query per source table)."""
    from neuroregen.core.models import Site
    from neuroregen.instruments.models import DomainMapping, Score

    latest = []
    for model in _audited_sources():
        history = getattr(model, "history", None)
        if history is None:  # pragma: no cover - every source is an AuditedModel
            raise TypeError(f"{model.__name__} keeps no history: it cannot be versioned")
        # the newest history row, found through the primary-key index whatever the table's
        # size; its time as well as its id, so a reused id (a restored or rolled-back
        # database) does not look like the same data
        latest.append(
            history.model.objects.order_by("-pk").values_list("pk", "history_date").first()
        )
    digest = hashlib.sha256(repr(latest).encode())
    for model in (Score, DomainMapping, Site):
        digest.update(repr(list(model.objects.order_by("pk").values_list())).encode())
    return digest.hexdigest()[:24]


def scope_key(user: Any, *parts: object) -> str:
    """The cache key of a computation for ``user`` over the current data."""
    everywhere, site_ids = site_grant(user, Capability.VIEW)
    scope = "all" if everywhere else ",".join(str(s) for s in sorted(site_ids))
    return ":".join(["evidence", str(user.pk), scope, data_version(), *map(str, parts)])


def cached(key: str, compute: Callable[[], T]) -> T:
    """``compute()`` once per key (kept ``NEUROREGEN_EVIDENCE_CACHE_SECONDS``, 0 = no cache)."""
    seconds = getattr(settings, "NEUROREGEN_EVIDENCE_CACHE_SECONDS", _DEFAULT_SECONDS)
    if not seconds:
        return compute()
    hit = cache.get(key)
    if hit is not None:
        return hit
    value = compute()
    cache.set(key, value, seconds)
    return value
