"""Builders for report tests: a child with real data (evidence builders) and its reports."""

from __future__ import annotations

from typing import Any

from neuroregen.core.models import User
from neuroregen.core.roles import Role
from neuroregen.reports import services
from tests.evidence.builders import adverse_event, child
from tests.helpers import PASSWORD, make_user


def investigator_of(site: Any) -> User:
    return User.objects.filter(
        memberships__site=site, memberships__role=Role.INVESTIGATOR
    ).first() or make_user(Role.INVESTIGATOR, site)


def child_with_data(coordinator: Any, site: Any, **kwargs: Any) -> Any:
    participant = child(coordinator, site, **kwargs)
    adverse_event(coordinator, participant)
    return participant


def released_report(coordinator: Any, participant: Any, phase: str = "late") -> Any:
    report = services.family_report_draft(user=coordinator, participant=participant, phase=phase)
    return services.family_report_release(
        user=investigator_of(participant.site), report=report, password=PASSWORD
    )
