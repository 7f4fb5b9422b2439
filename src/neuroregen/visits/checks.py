"""Start-up checks of every stored visit schedule (ids and meanings in ``protocols.schedule``)."""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.db import DatabaseError

from neuroregen.core.checks import PROJECT


def protocol_schedule_problems(protocol: Any) -> list[Any]:
    """Problems of one stored protocol's schedule, checked against the known form codes."""
    from neuroregen.protocols import codes
    from neuroregen.protocols.schedule import schedule_problems

    return schedule_problems(
        [d.as_spec() for d in protocol.visit_definitions.all()],
        arms=[
            {"code": a.code, "administrations": a.administrations, "spacing_days": a.spacing_days}
            for a in protocol.arms.all()
        ],
        boundaries=protocol.boundaries(),
        instruments=codes.known_instruments(),
        biomarkers=codes.known_biomarkers(),
        safety_checks=codes.known_safety_checks(),
    )


@checks.register(PROJECT)
def check_visit_schedules(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Overlapping windows, unknown instruments, phases out of order … in active protocols.

    Drafts are checked by the services when saved and again when activated.
    """
    from neuroregen.protocols.choices import ProtocolStatus
    from neuroregen.protocols.models import Protocol

    messages: list[checks.CheckMessage] = []
    try:
        protocols = list(
            Protocol.objects.filter(status=ProtocolStatus.ACTIVE).prefetch_related(
                "visit_definitions", "arms"
            )
        )
        for protocol in protocols:
            for problem in protocol_schedule_problems(protocol):
                level = checks.Error if problem.is_error else checks.Warning
                messages.append(
                    level(
                        f"Protocol {protocol}: {problem.message}",
                        hint="Amend the protocol as a new version with a corrected schedule.",
                        obj=f"protocol {protocol}"
                        + (f" visit {problem.visit}" if problem.visit else ""),
                        id=problem.id,
                    )
                )
    except DatabaseError:
        # Before the first migration there is nothing stored to check.
        return []
    return messages
