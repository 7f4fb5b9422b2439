"""Builders for safety tests: real services from protocol to administration to adverse event."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

from django.utils import timezone

from neuroregen.core.roles import Role
from neuroregen.core.time import now_at, site_today, to_site
from neuroregen.participants import services as ps
from neuroregen.products import services as product_services
from neuroregen.protocols import services as protocol_services
from neuroregen.protocols.models import Protocol
from neuroregen.safety import services as s
from neuroregen.visits import services as visit_services
from tests.helpers import PASSWORD, consent_document, make_user, screen

_n = itertools.count(1)


def protocol_document(code: str = "SAF-TEST") -> dict[str, Any]:
    return {
        "code": code,
        "version": "1.0",
        "name": "Safety test protocol",
        "phase_boundaries": {
            "baseline_from": -30,
            "early_until": 45,
            "mid_until": 150,
            "late_until": 400,
        },
        "arms": [
            {
                "code": "neuro-it",
                "name": "iPSC neurons, intrathecal",
                "product_type": "ipsc_neurons",
                "route": "it",
                "dose_unit": "cells_per_kg",
                "dose_per_kg_min": "500000",
                "dose_per_kg_max": "20000000",
                "dose_per_kg_default": "1000000",
                "dose_absolute_cap": None,
                "administrations": 2,
                "spacing_days": 14,
                "is_control": False,
            },
        ],
        "rules": [],
        "schedule": [],
    }


def active_protocol(code: str = "SAF-TEST") -> Protocol:
    existing = Protocol.objects.filter(code=code, version="1.0").first()
    if existing is not None:
        return existing
    admin = make_user(Role.ADMINISTRATOR, None)
    protocol = protocol_services.protocol_import(user=admin, data=protocol_document(code))
    return protocol_services.protocol_activate(user=admin, protocol=protocol, reason="approved")


def enrolled_since(user: Any, site: Any, days_ago: int, **kwargs: Any) -> Any:
    """A participant consented ``days_ago`` days ago, enrolled the same day, weighed."""
    participant = screen(user, site, **kwargs)
    signed = site_today(site) - dt.timedelta(days=days_ago)
    ps.consent_record(
        user=user,
        participant=participant,
        document=consent_document(),
        signed_on=signed,
        signed_by_relationship="mother",
    )
    if ps.assent_required(participant, signed):
        ps.consent_record(
            user=user,
            participant=participant,
            document=consent_document("child_assent"),
            signed_on=signed,
            signed_by_relationship="child",
        )
    participant = ps.participant_enrol(user=user, participant=participant, enrolled_on=signed)
    ps.anthropometry_record(
        user=user, participant=participant, measured_on=signed, weight_kg=Decimal("20")
    )
    return participant


def assigned(coordinator: Any, site: Any, *, days_ago: int = 60, **kwargs: Any) -> Any:
    """An enrolled participant with a confirmed assignment to the test protocol's arm."""
    protocol = active_protocol()
    participant = enrolled_since(coordinator, site, days_ago, **kwargs)
    investigator = make_user(Role.INVESTIGATOR, site)
    assignment = protocol_services.assignment_recommend(
        user=coordinator,
        participant=participant,
        protocol=protocol,
        on=participant.enrolled_on,
    )
    protocol_services.assignment_confirm(
        user=investigator,
        assignment=assignment,
        password=PASSWORD,
        arm=protocol.arms.get(code="neuro-it"),
    )
    return participant


def with_day_zero(coordinator: Any, site: Any, *, day_zero_days_ago: int = 40, **kwargs: Any):
    """A participant whose day 0 is recorded (no administration row)."""
    participant = assigned(coordinator, site, days_ago=day_zero_days_ago + 10, **kwargs)
    visit_services.day_zero_record(
        user=coordinator,
        participant=participant,
        # Day 0 is a date on the site's calendar, as a coordinator at the site would type it.
        day_zero=now_at(site).date() - dt.timedelta(days=day_zero_days_ago),
    )
    return participant


def administered(
    coordinator: Any,
    site: Any,
    *,
    when: dt.datetime | None = None,
    reaction: str = "none",
    reaction_description: str = "",
    **kwargs: Any,
):
    """A participant given a released autologous iPSC-neuron dose at ``when`` (default now)."""
    from tests.products.builders import autologous_lot

    when = when or timezone.now() - dt.timedelta(hours=2)
    days = max(1, (site_today(site) - to_site(when, site).date()).days + 5)
    participant = assigned(coordinator, site, days_ago=days, **kwargs)
    lab_user = make_user(Role.LAB, site)
    lot = autologous_lot(lab_user, participant, status="released")
    container = lot.containers.order_by("sequence").first()
    weight_day = timezone.localtime(when, dt.UTC).date()
    administration = product_services.administration_record(
        user=coordinator,
        participant=participant,
        container=container,
        scanned_participant_code=participant.study_code,
        scanned_container_code=container.code,
        started_at=when,
        stopped_at=when + dt.timedelta(minutes=30),
        volume_ml=Decimal("2"),
        weight_kg=Decimal("20") if weight_day else None,
        reaction=reaction,
        reaction_description=reaction_description,
    )
    return participant, administration


def ae_data(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "term": f"Vomiting {next(_n)}",
        "soc": "gastro",
        "onset_date": timezone.localdate() - dt.timedelta(days=2),
        "grade": 2,
        "relatedness_product": "unlikely",
        "relatedness_procedure": "possible",
        "expectedness": "expected",
        "action_taken": "none",
        "outcome": "recovering",
    }
    values.update(overrides)
    return values


def record(
    user: Any,
    participant: Any,
    *,
    serious: bool | None = None,
    aware_at: dt.datetime | None = None,
    **overrides: Any,
):
    return s.adverse_event_record(
        user=user,
        participant=participant,
        data=ae_data(**overrides),
        serious=serious,
        aware_at=aware_at,
    )
