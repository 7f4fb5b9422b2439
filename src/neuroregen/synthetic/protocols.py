"""Synthetic protocols, assignments, day 0s and visits for the demo cohort.

Everything goes through the services, so audit rows, signatures and schedules are real. The
protocols are examples of the *shape* of a programme's protocols; their doses and rules are
illustrative, not clinical guidance.
"""

from __future__ import annotations

import copy
import datetime as dt
import random
import secrets
from decimal import Decimal
from typing import Any

from django.db import transaction

from neuroregen.core.models import User
from neuroregen.core.roles import Role
from neuroregen.core.services import membership_grant
from neuroregen.participants import choices as pc
from neuroregen.participants import services as ps
from neuroregen.protocols import choices as c
from neuroregen.protocols import services as protocol_services
from neuroregen.protocols import timeline
from neuroregen.protocols.models import Protocol
from neuroregen.protocols.visit_choices import VisitStatus
from neuroregen.synthetic.protocol_documents import (
    cell_protocol_document,
    exosome_protocol_document,
)
from neuroregen.visits import services as visit_services


def _investigator(site: Any, secret: str) -> User:
    """A synthetic investigator per site who signs the assignment decisions.

    Its password is random per run and never printed: it exists so the real e-signature
    service can be used, not so anyone can sign in.
    """
    username = f"synthetic-investigator-{site.code.lower()}"
    user = User.objects.filter(username=username).first() or User(
        username=username, first_name="Synthetic", last_name=f"Investigator {site.code}"
    )
    user.set_password(secret)
    user.save()
    membership_grant(user=user, role=Role.INVESTIGATOR, site=site)
    return user


def _ensure_protocols(system: User) -> dict[str, Protocol]:
    made: dict[str, Protocol] = {}
    for document in (cell_protocol_document(), exosome_protocol_document()):
        protocol = Protocol.objects.filter(
            code=document["code"], version=document["version"]
        ).first()
        if protocol is None:
            protocol = protocol_services.protocol_import(user=system, data=document)
        if protocol.status == c.ProtocolStatus.DRAFT:
            protocol = protocol_services.protocol_activate(
                user=system, protocol=protocol, reason="approved (synthetic)"
            )
        made[protocol.code] = protocol
    return made


@transaction.atomic
def populate(cohort: Any, rng: random.Random) -> dict[str, Any]:
    """Give the demo cohort protocols, assignments, day 0s and visits across phases.

    Enrolled participants get a recommendation; most are confirmed (a few overridden with a
    reason, the ineligible declined) and receive day 0 two to six weeks after enrolment, so
    visits spread over early, mid, late and long-term phases (recent enrolments get a planned
    day 0 and provisional visits). Past visits are mostly done in window; some are done
    late, some missed, and some left open so the overdue list has entries. An amendment
    (NR-CELL-01 v1.1) is then activated, applying to future visits only.
    """
    system = cohort.system_user
    protocols = _ensure_protocols(system)
    counts = {"assignments": 0, "confirmed": 0, "overridden": 0, "declined": 0, "visits": 0}
    secret = secrets.token_urlsafe(24)
    investigators = {site.pk: _investigator(site, secret) for site in cohort.sites}
    for participant in cohort.participants:
        participant.refresh_from_db()
        if participant.status != pc.ParticipantStatus.ENROLLED:
            continue
        protocol = protocols["NR-EXO-02"] if rng.random() < 0.25 else protocols["NR-CELL-01"]
        facts = {"coagulopathy": rng.random() < 0.03, "prior_cell_therapy": rng.random() < 0.05}
        today = timeline.today_at(participant.site.time_zone)
        # Weight measured at enrolment, so the dose uses a recent value.
        weight = participant.anthropometry.order_by("-measured_on").first()
        if weight is not None and participant.enrolled_on and participant.enrolled_on <= today:
            ps.anthropometry_record(
                user=system,
                participant=participant,
                measured_on=participant.enrolled_on,
                weight_kg=Decimal(str(round(float(weight.weight_kg) + rng.uniform(0, 1.5), 1))),
            )
        assignment = protocol_services.assignment_recommend(
            user=system,
            participant=participant,
            protocol=protocol,
            facts=facts,
            on=participant.enrolled_on,
        )
        counts["assignments"] += 1
        investigator = investigators[participant.site_id]
        if not assignment.eligible or assignment.recommended_arm is None:
            protocol_services.assignment_decline(
                user=investigator, assignment=assignment, reason="not eligible (see reasons)"
            )
            counts["declined"] += 1
            continue
        eligible_arms = [a["code"] for a in assignment.evaluation["arms"] if a["eligible"]]
        override = len(eligible_arms) > 1 and rng.random() < 0.12
        arm = assignment.recommended_arm
        reason = ""
        if override:
            other = next(code for code in eligible_arms if code != arm.code)
            arm = protocol.arms.get(code=other)
            reason = "family preference after counselling; product availability"
        # Day 0 two to six weeks after enrolment; children enrolled too recently get a planned
        # day 0 instead, so their visits are shown as provisional.
        day_zero = (participant.enrolled_on or today) + dt.timedelta(days=rng.randint(14, 45))
        recent = day_zero > today - dt.timedelta(days=3)
        assignment = protocol_services.assignment_confirm(
            user=investigator,
            assignment=assignment,
            password=secret,
            arm=arm,
            override_reason=reason,
            planned_day_zero=today + dt.timedelta(days=rng.randint(7, 28)) if recent else None,
        )
        counts["overridden" if override else "confirmed"] += 1
        if recent:
            continue
        visits = visit_services.day_zero_record(
            user=investigator,
            participant=participant,
            day_zero=day_zero,
            reason="first administration (synthetic)",
        )
        counts["visits"] += len(visits)
        _record_history(system, visits, rng, today)
    _amend_cell_protocol(system, protocols["NR-CELL-01"])
    return counts


def _record_history(user: User, visits: list[Any], rng: random.Random, today: dt.date) -> None:
    """Mark past visits done (mostly in window), some late, some missed, some left overdue."""
    for visit in visits:
        if not visit.is_open or visit.window_open > today:
            continue
        roll = rng.random()
        status = visit.status_on(today)
        if status == VisitStatus.DUE:
            if roll < 0.4:
                visit_services.visit_record_done(
                    user=user,
                    visit=visit,
                    done_on=rng.choice(_days(visit.window_open, min(today, visit.window_close))),
                )
            continue
        if roll < 0.78:
            done = visit.target_date + dt.timedelta(days=rng.randint(-2, 2))
            done = min(max(done, visit.window_open), visit.window_close, today)
            visit_services.visit_record_done(user=user, visit=visit, done_on=done)
        elif roll < 0.86:
            late = min(today, visit.window_close + dt.timedelta(days=rng.randint(1, 10)))
            visit_services.visit_record_done(
                user=user, visit=visit, done_on=late, reason="family unavailable in window"
            )
        elif roll < 0.93:
            visit_services.visit_record_not_done(
                user=user, visit=visit, reason=rng.choice(["family travelling", "child unwell"])
            )


def _days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def _amend_cell_protocol(user: User, protocol: Protocol) -> None:
    """Amendment v1.1: sleep questionnaire added at month 2; month 4 window widened."""
    if protocol.amendments.exists():
        return
    amendment = protocol_services.protocol_amend(
        user=user,
        protocol=protocol,
        version="1.1",
        reason="add CSHQ at month 2; widen month 4 window (synthetic amendment)",
    )
    document = copy.deepcopy(cell_protocol_document("1.1"))
    for visit in document["schedule"]:
        if visit["code"] == "M2":
            visit["instruments"] = [*visit["instruments"], "cshq"]
        if visit["code"] == "M4":
            visit["window_before"], visit["window_after"] = 14, 14
    protocol_services.protocol_update(
        user=user, protocol=amendment, data=document, reason="amended schedule"
    )
    protocol_services.protocol_activate(user=user, protocol=amendment, reason="amendment approved")
