"""Send the reads of evidence pages to a read replica, when one is configured.

Evidence pages (program-level summaries, plots, reports) read a lot and write nothing, so they
can run against a streaming replica (``NEUROREGEN_REPLICA_URL``) and leave the primary to data
entry. Everything else — and every write — uses the primary. A view opts in with
:func:`reads_from_replica`; outside such a view the router always answers the primary, so a
form that saves and then re-reads never sees replication lag.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from django.conf import settings

REPLICA = "replica"
_use_replica: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "neuroregen_use_replica", default=False
)

F = TypeVar("F", bound=Callable[..., Any])


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


@contextmanager
def replica_reads() -> Iterator[None]:
    """Within this block, ORM reads go to the replica if one is configured."""
    token = _use_replica.set(True)
    try:
        yield
    finally:
        _use_replica.reset(token)


def reads_from_replica(view: F) -> F:
    """Decorator for read-only evidence views."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with replica_reads():
            return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


class EvidenceReplicaRouter:
    def db_for_read(self, model: type, **hints: Any) -> str | None:
        if _use_replica.get() and replica_configured():
            return REPLICA
        return "default"

    def db_for_write(self, model: type, **hints: Any) -> str | None:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        # Both aliases hold the same data (the replica is a copy of the primary).
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        # The replica receives the schema by replication, never by migrate.
        return db != REPLICA
