"""Synthetic adverse events, reporting clocks, signal rules and stopping rules for the demo.

Everything goes through the safety services, so context at onset, special-interest flags,
clocks, follow-ups, sign-offs and audit rows are real. Run it after the protocols (and, when
present, products and biomarkers) demo data, so events fall after day 0 and carry their
administration context; without them events are recorded as pre-dose.

The serious events are arranged so that the clocks dashboard shows every state: overdue,
due, submitted on time, submitted late and no longer required. Terms, grades and rates are
illustrative, not estimates of any product's safety.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from neuroregen.core.models import User
from neuroregen.core.roles import Role
from neuroregen.core.services import membership_grant
from neuroregen.participants import choices as pc
from neuroregen.protocols import timeline
from neuroregen.protocols.models import Protocol
from neuroregen.protocols.selectors import current_assignment
from neuroregen.safety import services as s
from neuroregen.safety.models import AdverseEvent, BiomarkerSignalRule, StoppingRule

# term, SOC, grade weights (1..3), product relatedness weights, procedure relatedness weights
COMMON_EVENTS: list[tuple[str, str, tuple[float, float, float], str, str]] = [
    ("Headache", "nervous", (0.7, 0.3, 0.0), "unlikely", "possible"),
    ("Vomiting", "gastro", (0.7, 0.3, 0.0), "unlikely", "possible"),
    ("Fever", "general", (0.6, 0.4, 0.0), "possible", "unlikely"),
    (
        "Upper respiratory tract infection",
        "infections",
        (0.8, 0.2, 0.0),
        "not_related",
        "not_related",
    ),
    ("Irritability", "psychiatric", (0.8, 0.2, 0.0), "unlikely", "not_related"),
    ("Insomnia", "psychiatric", (0.8, 0.2, 0.0), "unlikely", "not_related"),
    ("Back pain at puncture site", "injury", (0.8, 0.2, 0.0), "not_related", "definite"),
    ("Rash", "skin", (0.8, 0.2, 0.0), "possible", "not_related"),
    ("Diarrhoea", "gastro", (0.8, 0.2, 0.0), "not_related", "not_related"),
    ("Seizure", "nervous", (0.2, 0.5, 0.3), "unlikely", "not_related"),
    ("Behavioural regression", "psychiatric", (0.4, 0.5, 0.1), "possible", "not_related"),
    ("Gastroenteritis", "infections", (0.5, 0.4, 0.1), "not_related", "not_related"),
]
OUTCOMES = ["recovered", "recovered", "recovered", "recovering", "not_recovered"]


def _investigator(site: Any, secret: str) -> User:
    """A synthetic investigator per site who reports and signs; cannot sign in (random
    password, never printed)."""
    username = f"synthetic-safety-{site.code.lower()}"
    user = User.objects.filter(username=username).first() or User(
        username=username, first_name="Synthetic", last_name=f"Safety physician {site.code}"
    )
    user.set_password(secret)
    user.save()
    membership_grant(user=user, role=Role.INVESTIGATOR, site=site)
    return user


def _aware(day: dt.date, tz: str, rng: random.Random) -> dt.datetime:
    moment = dt.datetime.combine(
        day, dt.time(rng.randint(8, 17), rng.choice([0, 15, 30, 45])), tzinfo=ZoneInfo(tz)
    )
    return min(moment, timezone.now())


def _day_zero(participant: Any) -> dt.date | None:
    assignment = current_assignment(participant)
    return assignment.day_zero if assignment is not None else None


def _rules(system: User) -> dict[str, int]:
    made = {"signal_rules": 0, "stopping_rules": 0}
    if not BiomarkerSignalRule.objects.filter(code="il6-early").exists():
        s.signal_rule_create(
            user=system,
            code="il6-early",
            name="IL-6 above 7 pg/mL within 14 days of a dose",
            analyte="il6",
            comparison="gt",
            threshold="7",
            unit="pg/mL",
            within_days=14,
        )
        made["signal_rules"] += 1
    for protocol in Protocol.objects.filter(status="active"):
        if StoppingRule.objects.filter(protocol=protocol).exists():
            continue
        s.stopping_rule_create(
            user=system,
            protocol=protocol,
            code="related-g3",
            name="Related grade ≥ 3 events (Bayesian)",
            kind="beta_binomial",
            qualifying_event="related_g3",
            threshold_rate="0.20",
            posterior_cutoff="0.80",
        )
        s.stopping_rule_create(
            user=system,
            protocol=protocol,
            code="deaths",
            name="Any death pauses dosing",
            kind="fixed_count",
            qualifying_event="death",
            max_events=1,
        )
        made["stopping_rules"] += 2
    return made


def _common_event(
    user: User, participant: Any, rng: random.Random, today: dt.date, day_zero: dt.date | None
) -> AdverseEvent | None:
    term, soc, grade_weights, rel_product, rel_procedure = rng.choice(COMMON_EVENTS)
    start = day_zero or participant.enrolled_on or participant.screened_on
    span = (today - start).days
    if span < 1:
        return None
    # Most events come early after dosing.
    offset = min(span, int(rng.expovariate(1 / 30)))
    onset = start + dt.timedelta(days=offset)
    grade = rng.choices([1, 2, 3], weights=grade_weights)[0]
    outcome = rng.choice(OUTCOMES)
    resolution = None
    if outcome == "recovered":
        resolution = min(today, onset + dt.timedelta(days=rng.randint(0, 10)))
    tz = participant.site.time_zone
    return s.adverse_event_record(
        user=user,
        participant=participant,
        serious=False,
        aware_at=_aware(min(today, onset + dt.timedelta(days=rng.randint(0, 2))), tz, rng),
        data={
            "term": term,
            "soc": soc,
            "onset_date": onset,
            "resolution_date": resolution,
            "grade": grade,
            "relatedness_product": rel_product,
            "relatedness_procedure": rel_procedure,
            "expectedness": "expected",
            "action_taken": "none",
            "outcome": outcome,
            "description": "SYNTHETIC event generated for demonstration.",
        },
    )


def _serious_events(
    users: dict[int, User], pool: list[Any], rng: random.Random
) -> list[AdverseEvent]:
    """Serious events whose clocks end up in every state."""
    now = timezone.now()
    plans = [
        # (term, soc, grade, criteria, product relatedness, expected?, aware days ago, plan)
        (
            "Status epilepticus",
            "nervous",
            4,
            {"serious_life_threatening": True},
            "probable",
            "unexpected",
            2,
            "overdue",
        ),
        (
            "Aseptic meningitis",
            "nervous",
            3,
            {"serious_hospitalisation": True},
            "possible",
            "unexpected",
            0,
            "due",
        ),
        (
            "Pneumonia",
            "infections",
            3,
            {"serious_hospitalisation": True},
            "possible",
            "unexpected",
            30,
            "on_time",
        ),
        (
            "Febrile seizure",
            "nervous",
            3,
            {"serious_hospitalisation": True},
            "possible",
            "unexpected",
            20,
            "late",
        ),
        (
            "Dehydration",
            "metabolism",
            2,
            {"serious_hospitalisation": True},
            "unlikely",
            "expected",
            12,
            "retired",
        ),
    ]
    made = []
    for (term, soc, grade, criteria, related, expected, days_ago, plan), participant in zip(
        plans, pool, strict=False
    ):
        user = users[participant.site_id]
        tz = participant.site.time_zone
        today = timeline.today_at(tz)
        aware_day = today - dt.timedelta(days=days_ago)
        aware = _aware(aware_day, tz, rng) if days_ago else now - dt.timedelta(hours=3)
        onset = min(timeline.local_date(aware, tz), aware_day)
        event = s.adverse_event_record(
            user=user,
            participant=participant,
            serious=True,
            aware_at=aware,
            data={
                "term": term,
                "soc": soc,
                "onset_date": onset - dt.timedelta(days=1),
                "grade": grade,
                **criteria,
                "relatedness_product": related,
                "relatedness_procedure": "unlikely",
                "expectedness": expected,
                "action_taken": "withheld" if grade >= 3 else "none",
                "outcome": "recovering",
                "description": "SYNTHETIC serious event generated for demonstration.",
            },
        )
        clocks = {c.kind: c for c in event.clocks.all()}
        if plan == "on_time":
            for clock in clocks.values():
                s.clock_submit(
                    user=user,
                    clock=clock,
                    submitted_at=clock.started_at + dt.timedelta(hours=6),
                    reference=f"SYN-{clock.kind.upper()}-{event.pk:04d}",
                )
        elif plan == "late":
            first = clocks["sponsor_24h"]
            s.clock_submit(
                user=user,
                clock=first,
                submitted_at=first.started_at + dt.timedelta(hours=40),
                reference="SYN-LATE",
            )
            if "ind_15d" in clocks:
                s.clock_submit(
                    user=user,
                    clock=clocks["ind_15d"],
                    submitted_at=first.started_at + dt.timedelta(days=9),
                    reference="SYN-IND",
                )
        elif plan == "retired":
            event = s.adverse_event_update(
                user=user,
                event=event,
                changes={"serious_hospitalisation": False},
                serious=False,
                expected_version=event.row_version,
                reason="admission was a planned overnight observation, not caused by the event",
            )
        if plan in ("on_time", "late"):
            event = s.adverse_event_update(
                user=user,
                event=event,
                changes={
                    "outcome": "recovered",
                    "resolution_date": min(today, event.onset_date + dt.timedelta(days=6)),
                },
                reason="discharged; event resolved",
                expected_version=event.row_version,
            )
        s.adverse_event_follow_up(
            user=user, event=event, note="Family contacted; child reviewed in clinic."
        )
        made.append(event)
    return made


@transaction.atomic
def populate(cohort: Any, rng: random.Random) -> dict[str, int]:
    """Give the demo cohort adverse events (some of special interest), serious events with
    clocks in every state, sign-offs, follow-ups, an IL-6 signal rule and stopping rules.

    Idempotent: a cohort that already has this builder's events is left as it is (events opened
    earlier by other builders, e.g. an infusion reaction from the products demo, do not count).
    """
    system = cohort.system_user
    participants = list(cohort.participants)
    counts = {"events": 0, "serious": 0, "signed": 0, "reviews": 0}
    counts |= _rules(system)
    ids = [p.pk for p in participants]
    if AdverseEvent.objects.filter(
        participant_id__in=ids, reported_by__username__startswith="synthetic-safety-"
    ).exists():
        return counts
    secret = secrets.token_urlsafe(24)
    users = {site.pk: _investigator(site, secret) for site in cohort.sites}
    enrolled = []
    for participant in participants:
        participant.refresh_from_db()
        if (
            participant.status in (pc.ParticipantStatus.ENROLLED, pc.ParticipantStatus.WITHDRAWN)
            and participant.enrolled_on is not None
        ):
            enrolled.append(participant)
    dosed = [p for p in enrolled if _day_zero(p) is not None]
    pool = dosed or enrolled
    for participant in pool:
        today = timeline.today_at(participant.site.time_zone)
        for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
            event = _common_event(
                users[participant.site_id], participant, rng, today, _day_zero(participant)
            )
            if event is not None:
                counts["events"] += 1
    serious_pool = rng.sample(pool, k=min(5, len(pool)))
    serious = _serious_events(users, serious_pool, rng)
    counts["events"] += len(serious)
    counts["serious"] += len(serious)
    # The investigator signs most severe or serious events; some await sign-off.
    for event in AdverseEvent.objects.filter(participant_id__in=ids, grade__gte=3):
        if rng.random() < 0.6 and s.sign_off_current(event) is None:
            s.adverse_event_sign_off(
                user=users[event.participant.site_id], event=event, password=secret
            )
            counts["signed"] += 1
    try:
        counts["reviews"] = len(s.biomarker_signal_sweep(user=system))
    except ImportError:  # biomarkers app without models
        counts["reviews"] = 0
    return counts
