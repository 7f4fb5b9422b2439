"""Builders for instrument and biomarker tests: a participant with real visits.

Everything goes through the services: a protocol is imported and activated, the child is
enrolled and weighed, recommended, confirmed by a signing investigator with a planned day 0,
which generates the visits.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from neuroregen.core.models import User
from neuroregen.core.roles import Role
from neuroregen.core.time import site_today
from neuroregen.participants import services as ps
from neuroregen.protocols import services as protocol_services
from neuroregen.protocols.models import Protocol
from neuroregen.synthetic.cohort import system_account
from neuroregen.synthetic.protocols import cell_protocol_document
from neuroregen.visits.models import Visit
from tests.helpers import PASSWORD, enrolled, make_user


def active_protocol() -> Protocol:
    found = Protocol.objects.filter(code="NR-CELL-01", version="1.0").first()
    if found:
        return found
    system = system_account()
    protocol = protocol_services.protocol_import(user=system, data=cell_protocol_document())
    return protocol_services.protocol_activate(user=system, protocol=protocol, reason="approved")


def participant_with_visits(
    coordinator: Any, site: Any, protocol: Any = None, **kwargs: Any
) -> tuple[Any, dict[str, Visit]]:
    """An enrolled child at ``site`` with visits generated on a planned day 0 of today, assigned
    to ``protocol`` (default: the active one)."""
    protocol = protocol or active_protocol()
    participant = enrolled(coordinator, site, **kwargs)
    ps.anthropometry_record(
        user=coordinator,
        participant=participant,
        measured_on=site_today(site),
        weight_kg=Decimal("20.5"),
    )
    investigator = User.objects.filter(
        memberships__site=site, memberships__role=Role.INVESTIGATOR
    ).first() or make_user(Role.INVESTIGATOR, site)
    assignment = protocol_services.assignment_recommend(
        user=coordinator,
        participant=participant,
        protocol=protocol,
        facts={"coagulopathy": False, "prior_cell_therapy": False},
    )
    protocol_services.assignment_confirm(
        user=investigator,
        assignment=assignment,
        password=PASSWORD,
        planned_day_zero=site_today(site),
    )
    visits = {v.code: v for v in Visit.objects.filter(participant=participant)}
    return participant, visits
