"""Builders for protocol and visit tests: real services, realistic values."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from typing import Any

from neuroregen.core.roles import Role
from neuroregen.participants import services as ps
from neuroregen.protocols import services, timeline
from neuroregen.protocols.models import Assignment, Protocol
from neuroregen.synthetic.protocols import cell_protocol_document
from tests.helpers import PASSWORD, consent_document, identity, make_user, research


def admin_user() -> Any:
    return make_user(Role.ADMINISTRATOR, None)


def document(**overrides: Any) -> dict[str, Any]:
    data = copy.deepcopy(cell_protocol_document())
    data.update(overrides)
    return data


def active_protocol(data: dict[str, Any] | None = None, user: Any = None) -> Protocol:
    user = user or admin_user()
    protocol = services.protocol_import(user=user, data=data or document())
    return services.protocol_activate(user=user, protocol=protocol)


def enrolled_participant(
    user: Any,
    site: Any,
    *,
    days_ago: int = 120,
    age_years: int = 6,
    weight: str | None = "22",
    research_overrides: dict[str, Any] | None = None,
    identity_overrides: dict[str, Any] | None = None,
    comorbidities: tuple[tuple[str, str], ...] = (),
) -> Any:
    """A child screened, consented and enrolled ``days_ago`` days ago, with a weight."""
    today = timeline.today_at(site.time_zone)
    screened = today - dt.timedelta(days=days_ago)
    ident = identity(
        date_of_birth=screened - dt.timedelta(days=int(age_years * 365.25) + 10),
        **(identity_overrides or {}),
    )
    participant = ps.participant_screen(
        user=user,
        site=site,
        identity=ident,
        research=research(**(research_overrides or {})),
        screened_on=screened,
    )
    for condition, control in comorbidities:
        ps.comorbidity_record(
            user=user, participant=participant, condition=condition, seizure_control=control
        )
    ps.consent_record(
        user=user,
        participant=participant,
        document=consent_document(),
        signed_on=screened,
        signed_by_relationship="mother",
    )
    if ps.assent_required(participant, screened):
        ps.consent_record(
            user=user,
            participant=participant,
            document=consent_document("child_assent"),
            signed_on=screened,
            signed_by_relationship="child",
        )
    participant = ps.participant_enrol(
        user=user, participant=participant, enrolled_on=screened + dt.timedelta(days=2)
    )
    if weight is not None:
        ps.anthropometry_record(
            user=user, participant=participant, measured_on=screened, weight_kg=Decimal(weight)
        )
    return participant


NO_FACTS = {"coagulopathy": False, "prior_cell_therapy": False}


def recommend(user: Any, participant: Any, protocol: Protocol, **facts: Any) -> Assignment:
    return services.assignment_recommend(
        user=user, participant=participant, protocol=protocol, facts={**NO_FACTS, **facts}
    )


def confirmed(
    investigator: Any, participant: Any, protocol: Protocol, **confirm: Any
) -> Assignment:
    assignment = recommend(investigator, participant, protocol)
    return services.assignment_confirm(
        user=investigator, assignment=assignment, password=PASSWORD, **confirm
    )
