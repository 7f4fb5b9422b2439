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
from neuroregen.visits import services as visit_services

FULL_BATTERY = ["atec", "cgi_s", "abc2", "srs2", "vineland3", "cshq"]


def _visit(
    code: str,
    name: str,
    phase: str,
    day: int,
    before: int,
    after: int,
    *,
    instruments: list[str] | None = None,
    biomarkers: list[str] | None = None,
    safety: list[str] | None = None,
    arms: list[str] | None = None,
    optional: bool = False,
) -> dict[str, Any]:
    return {
        "code": code,
        "name": name,
        "phase": phase,
        "target_day": day,
        "window_before": before,
        "window_after": after,
        "optional": optional,
        "arm_codes": arms or [],
        "instruments": instruments or [],
        "biomarkers": biomarkers or [],
        "safety_checks": safety or [],
    }


def _common_rules() -> list[dict[str, Any]]:
    return [
        {
            "code": "age-min",
            "kind": "require",
            "field": "age_months",
            "operator": "ge",
            "value": 24,
            "reason": "Children aged 2 years or older",
        },
        {
            "code": "age-max",
            "kind": "require",
            "field": "age_months",
            "operator": "lt",
            "value": 156,
            "reason": "Children younger than 13 years",
        },
        {
            "code": "consent",
            "kind": "require",
            "field": "consent_scope",
            "operator": "contains",
            "value": "guardian_consent",
            "reason": "Signed guardian consent on file",
        },
        {
            "code": "weight-min",
            "kind": "require",
            "field": "weight_kg",
            "operator": "ge",
            "value": 10,
            "reason": "Weight of at least 10 kg (dose and volume limits)",
        },
        {
            "code": "epilepsy",
            "kind": "exclude",
            "field": "uncontrolled_epilepsy",
            "operator": "eq",
            "value": True,
            "reason": "Uncontrolled epilepsy (seizure risk; confounds behavioural outcomes)",
        },
        {
            "code": "coagulopathy",
            "kind": "exclude",
            "field": "coagulopathy",
            "operator": "eq",
            "value": True,
            "reason": "Coagulopathy (bleeding risk of the administration)",
        },
        {
            "code": "prior-cells",
            "kind": "exclude",
            "field": "prior_cell_therapy",
            "operator": "eq",
            "value": True,
            "reason": "Prior cell therapy (sensitisation risk; effects cannot be separated)",
        },
    ]


def cell_protocol_document(version: str = "1.0") -> dict[str, Any]:
    """A personalised neural-cell protocol with three single-administration arms."""
    early = ["cgi_i", "atec"]
    return {
        "code": "NR-CELL-01",
        "version": version,
        "name": "Personalised neural cell therapy in autistic children (SYNTHETIC)",
        "regulatory_reference": "SYN-IND-000001",
        "description": "Synthetic example protocol for demonstration; not a real trial.",
        "analysis_plan": {
            "primary_measure": "atec.atec_total",
            "primary_phase": "late",
            "phase_summary_rule": "nearest_target",
            "phase_targets": {"early": 28, "mid": 90, "late": 270, "long_term": 730},
        },
        "phase_boundaries": {
            "baseline_from": -30,
            "early_until": 45,
            "mid_until": 150,
            "late_until": 400,
        },
        "arms": [
            {
                "code": "ipsc-it",
                "name": "iPSC neural mix, intrathecal",
                "product_type": "ipsc_mix",
                "route": "it",
                "dose_unit": "cells_per_kg",
                "dose_per_kg_min": "500000",
                "dose_per_kg_max": "2000000",
                "dose_per_kg_default": "1000000",
                "dose_absolute_cap": "50000000",
                "administrations": 1,
                "spacing_days": 0,
                "is_control": False,
            },
            {
                "code": "msc-iv",
                "name": "Allogeneic MSC, intravenous",
                "product_type": "msc",
                "route": "iv",
                "dose_unit": "cells_per_kg",
                "dose_per_kg_min": "1000000",
                "dose_per_kg_max": "2000000",
                "dose_per_kg_default": "1500000",
                "dose_absolute_cap": "100000000",
                "administrations": 1,
                "spacing_days": 0,
                "is_control": False,
            },
            {
                "code": "cb-iv",
                "name": "Autologous cord blood, intravenous",
                "product_type": "cb_auto",
                "route": "iv",
                "dose_unit": "cells_per_kg",
                "dose_per_kg_min": "10000000",
                "dose_per_kg_max": "50000000",
                "dose_per_kg_default": "25000000",
                "dose_absolute_cap": None,
                "administrations": 1,
                "spacing_days": 0,
                "is_control": False,
            },
        ],
        "rules": [
            *_common_rules(),
            {
                "code": "it-weight",
                "kind": "exclude_arm",
                "field": "weight_kg",
                "operator": "lt",
                "value": 15,
                "arm_code": "ipsc-it",
                "reason": "Intrathecal administration needs a weight of at least 15 kg",
            },
            {
                "code": "ipsc-syndromic",
                "kind": "exclude_arm",
                "field": "genetic_finding",
                "operator": "eq",
                "value": "syndromic",
                "arm_code": "ipsc-it",
                "reason": "Autologous iPSC lines would carry the syndromic variant",
            },
            {
                "code": "young-cb",
                "kind": "prefer_arm",
                "field": "age_months",
                "operator": "lt",
                "value": 48,
                "arm_code": "cb-iv",
                "reason": "Under 4 years: autologous cord blood, intravenous",
            },
            {
                "code": "severe-ipsc",
                "kind": "prefer_arm",
                "field": "dsm5_severity",
                "operator": "ge",
                "value": 3,
                "arm_code": "ipsc-it",
                "reason": "DSM-5 level 3: neural cell mix, intrathecal",
            },
            {
                "code": "default-msc",
                "kind": "prefer_arm",
                "field": "dsm5_severity",
                "operator": "le",
                "value": 3,
                "arm_code": "msc-iv",
                "reason": "Otherwise the programme's comparator product, MSC intravenous",
            },
            {
                "code": "msc-heavy",
                "kind": "dose_per_kg",
                "field": "weight_kg",
                "operator": "gt",
                "value": 40,
                "arm_code": "msc-iv",
                "dose_per_kg": "1000000",
                "reason": "Above 40 kg: lower per-kg MSC dose (total cell number limit)",
            },
        ],
        "schedule": [
            _visit(
                "SCR",
                "Screening",
                "screening",
                -45,
                14,
                14,
                instruments=["cars2"],
                safety=[
                    "vital_signs",
                    "physical_exam",
                    "neuro_exam",
                    "cbc",
                    "chemistry",
                    "coagulation",
                ],
            ),
            _visit(
                "BL",
                "Baseline",
                "baseline",
                -14,
                16,
                13,
                instruments=FULL_BATTERY,
                biomarkers=["il6", "tnfa"],
                safety=["vital_signs", "eeg"],
            ),
            _visit(
                "D0",
                "Administration",
                "administration",
                0,
                0,
                0,
                safety=["infusion_monitoring", "vital_signs", "ae_review"],
            ),
            _visit(
                "D7",
                "Day 7",
                "early",
                7,
                2,
                2,
                instruments=["cgi_i"],
                biomarkers=["il6", "tnfa"],
                safety=["ae_review", "vital_signs"],
            ),
            _visit(
                "D14",
                "Day 14",
                "early",
                14,
                3,
                3,
                instruments=early,
                biomarkers=["il6", "tnfa"],
                safety=["ae_review"],
            ),
            _visit(
                "D28",
                "Day 28",
                "early",
                28,
                4,
                4,
                instruments=[*early, "abc2", "cshq"],
                biomarkers=["il6", "tnfa"],
                safety=["ae_review", "cbc", "chemistry"],
            ),
            _visit("M2", "Month 2", "mid", 60, 7, 7, instruments=early, safety=["ae_review"]),
            _visit(
                "M3",
                "Month 3",
                "mid",
                90,
                10,
                10,
                instruments=[*early, "abc2", "srs2", "cshq"],
                biomarkers=["il6", "tnfa"],
                safety=["ae_review"],
            ),
            _visit("M4", "Month 4", "mid", 120, 10, 10, instruments=early, safety=["ae_review"]),
            _visit(
                "M6",
                "Month 6",
                "late",
                180,
                14,
                14,
                instruments=["cgi_i", "atec", "abc2", "srs2", "vineland3", "cshq"],
                biomarkers=["il6", "tnfa"],
                safety=["ae_review", "hla_antibodies"],
            ),
            _visit(
                "M9",
                "Month 9",
                "late",
                270,
                21,
                21,
                instruments=[*early, "abc2"],
                safety=["ae_review"],
            ),
            _visit(
                "M12",
                "Month 12",
                "late",
                365,
                30,
                30,
                instruments=["cgi_i", "atec", "abc2", "srs2", "vineland3", "cshq", "cars2"],
                biomarkers=["il6", "tnfa"],
                safety=["ae_review", "mri", "eeg"],
            ),
            _visit(
                "M24",
                "Month 24 (long-term)",
                "long_term",
                730,
                45,
                45,
                instruments=["cgi_i", "atec", "vineland3"],
                safety=["ae_review"],
                optional=True,
            ),
        ],
    }


def exosome_protocol_document(version: str = "1.0") -> dict[str, Any]:
    """A placebo-controlled intranasal exosome protocol with three administrations."""
    return {
        "code": "NR-EXO-02",
        "version": version,
        "name": "Intranasal MSC exosomes versus vehicle (SYNTHETIC)",
        "regulatory_reference": "SYN-CTA-000002",
        "description": "Synthetic example of a controlled design; allocation follows the "
        "randomisation list, not the recommendation.",
        "analysis_plan": {
            "primary_measure": "atec.atec_total",
            "primary_phase": "late",
            "phase_summary_rule": "nearest_target",
            # the schedule's late visits are M6 and M12; the primary endpoint is month 12
            "phase_targets": {"early": 28, "mid": 90, "late": 365, "long_term": 730},
        },
        "phase_boundaries": {
            "baseline_from": -30,
            "early_until": 45,
            "mid_until": 150,
            "late_until": 400,
        },
        "arms": [
            {
                "code": "exo-in",
                "name": "MSC exosomes, intranasal",
                "product_type": "exosomes",
                "route": "in",
                "dose_unit": "particles_per_kg",
                "dose_per_kg_min": "1000000000",
                "dose_per_kg_max": "10000000000",
                "dose_per_kg_default": "5000000000",
                "dose_absolute_cap": "200000000000",
                "administrations": 3,
                "spacing_days": 14,
                "is_control": False,
            },
            {
                "code": "vehicle-in",
                "name": "Vehicle, intranasal",
                "product_type": "placebo",
                "route": "in",
                "dose_unit": "ml_per_kg",
                "dose_per_kg_min": "0.01",
                "dose_per_kg_max": "0.05",
                "dose_per_kg_default": "0.02",
                "dose_absolute_cap": "1",
                "administrations": 3,
                "spacing_days": 14,
                "is_control": True,
            },
        ],
        "rules": [r for r in _common_rules() if r["code"] != "coagulopathy"],
        "schedule": [
            _visit(
                "SCR",
                "Screening",
                "screening",
                -45,
                14,
                14,
                instruments=["cars2"],
                safety=["vital_signs", "physical_exam", "neuro_exam"],
            ),
            _visit(
                "BL",
                "Baseline",
                "baseline",
                -14,
                16,
                13,
                instruments=FULL_BATTERY,
                biomarkers=["il6", "tnfa"],
                safety=["vital_signs"],
            ),
            _visit(
                "ADM1",
                "Administration 1",
                "administration",
                0,
                0,
                0,
                safety=["vital_signs", "ae_review"],
            ),
            _visit(
                "D7",
                "Day 7",
                "early",
                7,
                2,
                2,
                instruments=["cgi_i"],
                biomarkers=["il6", "tnfa"],
                safety=["ae_review"],
            ),
            _visit(
                "ADM2",
                "Administration 2",
                "administration",
                14,
                0,
                0,
                safety=["vital_signs", "ae_review"],
            ),
            _visit(
                "D21",
                "Day 21",
                "early",
                21,
                2,
                2,
                instruments=["cgi_i", "atec"],
                safety=["ae_review"],
            ),
            _visit(
                "ADM3",
                "Administration 3",
                "administration",
                28,
                0,
                0,
                safety=["vital_signs", "ae_review"],
            ),
            _visit(
                "D42",
                "Day 42",
                "early",
                42,
                3,
                3,
                instruments=["cgi_i", "atec", "cshq"],
                biomarkers=["il6", "tnfa"],
                safety=["ae_review"],
            ),
            _visit(
                "M3",
                "Month 3",
                "mid",
                90,
                10,
                10,
                instruments=["cgi_i", "atec", "abc2"],
                safety=["ae_review"],
            ),
            _visit(
                "M6",
                "Month 6",
                "late",
                180,
                14,
                14,
                instruments=["cgi_i", "atec", "abc2", "srs2", "vineland3"],
                biomarkers=["il6", "tnfa"],
                safety=["ae_review"],
            ),
            _visit(
                "M12",
                "Month 12",
                "late",
                365,
                30,
                30,
                instruments=["cgi_i", "atec", "abc2", "srs2", "vineland3", "cshq"],
                safety=["ae_review"],
            ),
        ],
    }


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
        # else: left open — shows as overdue for the coordinators


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
