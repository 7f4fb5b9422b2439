"""A synthetic registry of configurable size for the benchmarks, written with ``bulk_create``.

``build_registry(participants, visits, seed)`` fills the configured Django database (the caller
has run ``django.setup()``; SQLite or PostgreSQL) with a registry the evidence selectors, the
participant pages and the REDCap import see as real: synthetic sites, the active NR-CELL-01
protocol (arms, rules, schedule — imported and activated through the protocol services), and
per participant an encrypted identity, comorbidities, weight, guardian consent, an assignment
evaluated with the real rule engine, visits on the schedule, ATEC responses (item answers,
missing-data codes and scores from the instruments' own scoring), IL-6/TNF-α measurements with
limit flags, a lot, container and administration of the arm's product, and some adverse events.
Every site is flagged synthetic, every name says so, and responses/measurements carry the
``synthetic`` source.

The small, one-off rows (sites, users, memberships, consent documents, protocol, QC
specifications) go through the services. The bulk rows bypass the services for speed but are
the rows the services would write: the same field values, the same derived values (study codes
with check digits, blind index, encrypted identity, visit windows from ``protocols.timeline``,
scores from ``instruments.scoring``, limit flags from ``biomarkers.validators``, AE study day
and phase, dose from the arm's dose rule) and a history row for each with the acting user and a
reason (``simple_history.utils.bulk_create_with_history``). Not generated: e-signatures over
assignment decisions and lot releases, QC results, custody events, donor eligibility and HLA
typing — none of which the benchmarked paths read. Lots are shown as administered.

CLI::

    python bench/registry.py --participants 2000 [--visits 11] [--seed 1] [--database-url URL]

(``--database-url`` sets ``DATABASE_URL``; the database is migrated first.)
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import random
import sys
import time
import zoneinfo
from collections.abc import Iterable
from decimal import ROUND_UP, Decimal
from pathlib import Path
from typing import Any

SITES = [
    ("SYN-KYIV", "Synthetic site Kyiv", "UA", "Europe/Kyiv", "uk"),
    ("SYN-LON", "Synthetic site London", "GB", "Europe/London", "en"),
    ("SYN-BOS", "Synthetic site Boston", "US", "America/New_York", "en"),
    ("SYN-ALM", "Synthetic site Almaty", "KZ", "Asia/Almaty", "ru"),
]
BATCH = 2000
D = Decimal


def _setup(database_url: str | None) -> None:
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "neuroregen.settings")
    try:
        import neuroregen  # noqa: F401
    except ModuleNotFoundError:  # a checkout without the package installed
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    import django

    django.setup()


def _code(rng: random.Random, prefix: str, taken: set[str]) -> str:
    """A code of the system's format (core.codes), unique within ``taken``; reproducible."""
    from neuroregen.core import codes

    while True:
        body = "".join(rng.choice(codes.ALPHABET) for _ in range(6))
        code = f"{prefix}-{body}-{codes.check_character(body)}"
        if code not in taken:
            taken.add(code)
            return code


def _bulk(model: Any, objs: list[Any], user: Any, reason: str) -> list[Any]:
    """Insert with one history row per object, as ``save()`` through a service would."""
    from simple_history.utils import bulk_create_with_history

    if not objs:
        return objs
    return bulk_create_with_history(
        objs, model, batch_size=BATCH, default_user=user, default_change_reason=reason
    )


def _at(day: dt.date, hour: int, minute: int, tz: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zoneinfo.ZoneInfo(tz))


def _accounts(sites: list[Any]) -> dict[str, Any]:
    """The system, investigator, lab and nurse accounts (none can sign in)."""
    from neuroregen.core.models import User
    from neuroregen.core.roles import Role
    from neuroregen.core.services import membership_grant
    from neuroregen.synthetic.cohort import system_account

    made: dict[str, Any] = {"system": system_account()}
    for site in sites:
        for role, name in (
            (Role.INVESTIGATOR, "investigator"),
            (Role.LAB, "lab"),
            (Role.COORDINATOR, "nurse"),
        ):
            username = f"synthetic-{name}-{site.code.lower()}"
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"first_name": "Synthetic", "last_name": f"{name} {site.code}"},
            )
            if created:
                user.set_unusable_password()
                user.save()
            membership_grant(user=user, role=role, site=site)
            made[f"{name}:{site.pk}"] = user
    return made


def _sites(system: Any) -> list[Any]:
    from neuroregen.core.models import Site
    from neuroregen.core.services import site_create

    return [
        Site.objects.filter(code=code).first()
        or site_create(code=code, name=name, country=country, time_zone=tz, is_synthetic=True)
        for code, name, country, tz, _lang in SITES
    ]


def _protocol(system: Any) -> Any:
    from neuroregen.protocols import services as protocol_services
    from neuroregen.protocols.choices import ProtocolStatus
    from neuroregen.protocols.models import Protocol
    from neuroregen.synthetic.protocol_documents import cell_protocol_document

    document = cell_protocol_document()
    protocol = Protocol.objects.filter(code=document["code"], version=document["version"]).first()
    if protocol is None:
        protocol = protocol_services.protocol_import(user=system, data=document)
    if protocol.status == ProtocolStatus.DRAFT:
        protocol = protocol_services.protocol_activate(
            user=system, protocol=protocol, reason="approved (synthetic)"
        )
    return protocol


def _schedule(protocol: Any, visits: int) -> list[Any]:
    """``visits`` required visits of the schedule: the first ones and always the last."""
    defs = [d for d in protocol.visit_definitions.order_by("target_day") if not d.optional]
    if visits >= len(defs):
        return defs
    return [*defs[: max(1, visits - 1)], defs[-1]][:visits]


def _qc_specs(lab: Any) -> dict[str, Any]:
    from neuroregen.products.models import QCSpecification
    from neuroregen.synthetic.products import _specs

    _specs(lab)
    return {s.product_type: s for s in QCSpecification.objects.filter(status="active")}


def _atec_answers(rng: random.Random, severity: float) -> dict[str, str]:
    from neuroregen.instruments.builtin import ATEC_ITEMS, atec_item_name

    answers = {}
    for key, (_title, items) in ATEC_ITEMS.items():
        top = 3 if key == "iv" else 2
        for number in range(1, len(items) + 1):
            score = sum(rng.random() < severity for _ in range(top))
            answers[atec_item_name(key, number)] = str(score)
    return answers


def build_registry(participants: int = 10_000, visits: int = 11, seed: int = 1) -> dict:
    """Populate the configured database; returns counts and the protocol/site ids.

    Build into an empty database (or one built with another seed): names and codes are
    reproducible from the seed, and the database refuses a second child of the same name and
    birth date at a site.
    """
    from django.db import connection, transaction

    started = time.perf_counter()
    with transaction.atomic():
        counts = _build(participants, visits, seed)
    # a production database is analysed by autovacuum as it grows; a bulk-loaded one has no
    # statistics yet and its query plans would not be the ones users get
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    counts["seconds"] = round(time.perf_counter() - started, 1)
    return counts


def _build(n: int, n_visits: int, seed: int) -> dict[str, Any]:
    from django.utils import timezone

    from neuroregen.biomarkers.models import Measurement
    from neuroregen.biomarkers.validators import limit_flag
    from neuroregen.core import crypto
    from neuroregen.instruments import scoring
    from neuroregen.instruments.choices import MissingCode
    from neuroregen.instruments.models import Instrument, Response
    from neuroregen.instruments.prepared import score_dicts
    from neuroregen.participants import choices as pc
    from neuroregen.participants.models import (
        Anthropometry,
        Consent,
        Participant,
        ParticipantComorbidity,
        ParticipantIdentity,
        Withdrawal,
    )
    from neuroregen.products.models import Administration, Container, Donor, Lot, SourceMaterial
    from neuroregen.protocols import rules as rule_engine
    from neuroregen.protocols import timeline
    from neuroregen.protocols.choices import AssignmentStatus, ProductType
    from neuroregen.protocols.dose import compute_dose
    from neuroregen.protocols.models import Assignment
    from neuroregen.protocols.selectors import arm_spec
    from neuroregen.safety.models import AdverseEvent
    from neuroregen.synthetic.cohort import (
        COMORBIDITY_RATES,
        FAMILY,
        GIVEN,
        SEVERITY_WEIGHTS,
        consent_documents,
    )
    from neuroregen.synthetic.instruments import ANALYTE_MODEL
    from neuroregen.synthetic.product_catalogue import FORMULATION
    from neuroregen.synthetic.safety import COMMON_EVENTS, OUTCOMES
    from neuroregen.visits.models import Visit

    rng = random.Random(seed)
    today = timezone.localdate()
    now = timezone.now()
    from neuroregen.core.models import User

    system = User.objects.filter(username="synthetic-generator").first()
    sites = _sites(system)
    accounts = _accounts(sites)
    system = accounts["system"]
    docs = consent_documents()
    protocol = _protocol(system)
    schedule = _schedule(protocol, n_visits)
    arms = {a.code: a for a in protocol.arms.all()}
    arm_specs = [arm_spec(a) for a in protocol.arms.order_by("code")]
    rule_specs = [r.as_spec() for r in protocol.rules.order_by("order", "code")]
    bounds = protocol.boundaries()
    specs = _qc_specs(accounts[f"lab:{sites[0].pk}"])
    atec = Instrument.objects.get(code="atec")
    atec_scores = score_dicts(list(atec.scores.all()))
    lang_of = {site.pk: lang for site, (*_x, lang) in zip(sites, SITES, strict=True)}

    taken = set(Participant.objects.values_list("study_code", flat=True))
    offset = Participant.objects.count()
    counts: dict[str, Any] = {"protocol_id": protocol.pk, "site_ids": [s.pk for s in sites]}

    # participants and what hangs on them directly
    people: list[Participant] = []
    extra: list[dict[str, Any]] = []
    for i in range(n):
        site = sites[i % len(sites)]
        age_days = rng.randint(2 * 365 + 40, 12 * 365 + 200)
        screened = today - dt.timedelta(days=rng.randint(60, 1500))
        birth = screened - dt.timedelta(days=age_days)
        people.append(
            Participant(
                site=site,
                study_code=_code(rng, "P", taken),
                screened_on=screened,
                age_months_at_screening=(screened.year - birth.year) * 12
                + screened.month
                - birth.month
                - (screened.day < birth.day),
                sex=rng.choices([pc.Sex.MALE, pc.Sex.FEMALE], weights=[0.8, 0.2])[0],
                country=site.country,
                preferred_language=lang_of[site.pk],
                asd_diagnosis_date=birth + dt.timedelta(days=rng.randint(600, age_days - 5)),
                dsm5_severity=rng.choices(*zip(*SEVERITY_WEIGHTS, strict=True))[0],
                diagnostic_instrument=rng.choice(["ados2", "adir", "dsm5"]),
                genetic_finding=rng.choice(["none", "none", "not_tested"]),
                therapy_hours_per_week=D(rng.choice([0, 2, 5, 10, 15, 20, 25])),
            )
        )
        extra.append({"birth": birth, "roll": rng.random()})
    for p, e in zip(people, extra, strict=True):
        roll = e["roll"]
        if roll < 0.02:
            p.status = pc.ParticipantStatus.SCREENING
        elif roll < 0.05:
            p.status = pc.ParticipantStatus.SCREEN_FAILED
            p.screen_fail_reason = "guardian declined (synthetic)"
        else:
            p.status = pc.ParticipantStatus.ENROLLED
            e["signed"] = min(today, p.screened_on + dt.timedelta(days=rng.randint(0, 14)))
            p.enrolled_on = min(today, e["signed"] + dt.timedelta(days=rng.randint(1, 10)))
    _bulk(Participant, people, system, "screening registration (synthetic bulk)")
    counts["participants"] = len(people)

    identities = []
    for i, (p, e) in enumerate(zip(people, extra, strict=True)):
        given, family = rng.choice(GIVEN), f"{rng.choice(FAMILY)}-{offset + i:06d}"
        identities.append(
            ParticipantIdentity(
                participant=p,
                site_id=p.site_id,
                given_name=given,
                family_name=family,
                date_of_birth=e["birth"].isoformat(),
                guardian_name=f"Guardian {rng.choice(FAMILY)}",
                guardian_relationship=rng.choice(["mother", "father", "legal guardian"]),
                guardian_phone=f"+000 {rng.randint(1000000, 9999999)}",
                guardian_email=f"guardian{offset + i}@example.invalid",
                blind_index=crypto.blind_index(given, family, e["birth"].isoformat()),
            )
        )
    _bulk(ParticipantIdentity, identities, system, "screening registration (synthetic bulk)")

    comorbidities, weights = [], []
    for p, e in zip(people, extra, strict=True):
        e["conditions"] = []
        for condition, rate in COMORBIDITY_RATES.items():
            if rng.random() < rate:
                control = "controlled" if condition == pc.Comorbidity.EPILEPSY else ""
                e["conditions"].append(condition)
                comorbidities.append(
                    ParticipantComorbidity(
                        participant=p, condition=condition, seizure_control=control
                    )
                )
        age_years = p.age_months_at_screening / 12
        e["weight"] = D(str(round(max(11.0, 10 + age_years * 2.6 + rng.gauss(0, 2)), 1)))
        weights.append(
            Anthropometry(
                participant=p,
                measured_on=p.screened_on,
                weight_kg=e["weight"],
                height_cm=D(str(round(80 + age_years * 6.5 + rng.gauss(0, 4), 1))),
            )
        )
    _bulk(ParticipantComorbidity, comorbidities, system, "comorbidity recorded (synthetic bulk)")
    _bulk(Anthropometry, weights, system, "measured (synthetic bulk)")

    consents, withdrawals = [], []
    for p, e in zip(people, extra, strict=True):
        if p.status != pc.ParticipantStatus.ENROLLED:
            continue
        consents.append(
            Consent(
                participant=p,
                document=docs[f"{pc.ConsentKind.GUARDIAN_CONSENT}:{p.preferred_language}"],
                signed_on=e["signed"],
                signed_by_relationship="mother",
                recorded_by=system,
            )
        )
    _bulk(Consent, consents, system, "consent recorded (synthetic bulk)")

    # assignments: the real rule engine on the profile the service would build
    assignments: list[Assignment] = []
    for p, e in zip(people, extra, strict=True):
        if p.status != pc.ParticipantStatus.ENROLLED:
            continue
        on = p.enrolled_on
        months = p.age_months_at_screening + round((on - p.screened_on).days / 30.4375)
        profile = {
            "age_months": months,
            "age_years": round(months / 12, 2),
            "sex": p.sex,
            "dsm5_severity": p.dsm5_severity,
            "genetic_finding": p.genetic_finding,
            "syndrome": p.syndrome,
            "comorbidities": sorted(e["conditions"]),
            "epilepsy_control": "controlled" if "epilepsy" in e["conditions"] else "",
            "uncontrolled_epilepsy": False,
            "weight_kg": float(e["weight"]),
            "therapy_hours_per_week": float(p.therapy_hours_per_week),
            "consent_scope": [pc.ConsentKind.GUARDIAN_CONSENT],
            "consent_withdrawn": False,
            "coagulopathy": rng.random() < 0.02,
            "prior_cell_therapy": rng.random() < 0.03,
        }
        evaluation = rule_engine.evaluate(rule_specs, arm_specs, profile)
        investigator = accounts[f"investigator:{p.site_id}"]
        a = Assignment(
            participant=p,
            protocol=protocol,
            evaluated_on=on,
            profile=profile,
            evaluation=evaluation.as_dict(),
            eligible=evaluation.eligible,
            recommended_arm=arms.get(evaluation.recommended_arm or ""),
            recommended_dose_per_kg=evaluation.recommended_dose_per_kg,
        )
        if a.recommended_arm is None:
            a.status = AssignmentStatus.DECLINED
            assignments.append(a)
            continue
        eligible = [x["code"] for x in a.evaluation["arms"] if x["eligible"]]
        # spread children over the eligible arms, so every arm has a comparator group
        arm = arms[rng.choice(eligible)]
        calc = compute_dose(arm.dose_rule(), e["weight"], None)
        day_zero = on + dt.timedelta(days=rng.randint(14, 45))
        a.status = (
            AssignmentStatus.CONFIRMED if arm == a.recommended_arm else AssignmentStatus.OVERRIDDEN
        )
        a.override_reason = "" if arm == a.recommended_arm else "family preference (synthetic)"
        a.arm = arm
        a.dose_per_kg, a.dose_total, a.dose_unit = calc.per_kg, calc.total, calc.unit
        a.dose_capped, a.dose_explanation = calc.capped, calc.explain()[:300]
        a.weight_kg, a.weight_measured_on = e["weight"], p.screened_on
        a.confirmed_by, a.confirmed_at = investigator, now
        if day_zero > today - dt.timedelta(days=3):
            a.planned_day_zero = today + dt.timedelta(days=rng.randint(7, 28))
        else:
            a.day_zero = day_zero
            a.day_zero_at = _at(day_zero, 9, 0, p.site.time_zone)
        assignments.append(a)
        e["assignment"] = a
    _bulk(Assignment, assignments, system, "recommendation evaluated (synthetic bulk)")
    counts["assignments"] = len(assignments)

    # withdrawals of data for a few (the evidence excludes them)
    for p, e in zip(people, extra, strict=True):
        a = e.get("assignment")
        if a is not None and a.day_zero and rng.random() < 0.02:
            withdrawals.append(
                Withdrawal(
                    participant=p,
                    scope=rng.choice(pc.WithdrawalScope.values),
                    effective_on=min(today, a.day_zero + dt.timedelta(days=rng.randint(10, 200))),
                    reason="family moved away (synthetic)",
                    recorded_by=system,
                )
            )
    _bulk(Withdrawal, withdrawals, system, "withdrawal recorded (synthetic bulk)")

    # visits on the schedule, most past ones done
    visit_rows: list[Visit] = []
    for p, e in zip(people, extra, strict=True):
        a = e.get("assignment")
        if a is None:
            continue
        anchor = a.anchor_day_zero
        for d in schedule:
            if not d.applies_to(a.arm.code):
                continue
            opens, target, closes = d.window().dates(anchor)
            v = Visit(
                participant=p,
                assignment=a,
                definition=d,
                code=d.code,
                phase=d.phase,
                target_day=d.target_day,
                target_date=target,
                window_open=opens,
                window_close=closes,
                scheduled_for=target,
                provisional=a.day_zero is None,
            )
            if a.day_zero is not None and opens <= today:
                roll = rng.random()
                if closes < today and roll < 0.86:
                    done = target + dt.timedelta(days=rng.randint(-2, 2))
                    v.done_on = min(max(done, opens), closes, today)
                elif closes < today and roll < 0.93:
                    v.not_done_reason = rng.choice(["family travelling", "child unwell"])
                elif closes >= today and roll < 0.4:
                    v.done_on = rng.choice(
                        [opens + dt.timedelta(days=k) for k in range((today - opens).days + 1)]
                    )
            visit_rows.append(v)
    _bulk(Visit, visit_rows, system, "schedule generated (synthetic bulk)")
    counts["visits"] = len(visit_rows)

    # ATEC responses and biomarkers at done visits
    responses: list[Response] = []
    measurements: list[Measurement] = []
    severity: dict[int, float] = {}
    for v in visit_rows:
        if v.done_on is None:
            continue
        p = v.participant
        tz = p.site.time_zone
        base = severity.setdefault(p.pk, min(0.75, max(0.15, rng.gauss(0.42, 0.1))))
        level = max(0.05, base * (1 - 0.012 * max(0, v.target_day) / 30.44) + rng.gauss(0, 0.03))
        if "atec" in v.definition.instruments:
            answers = _atec_answers(rng, level)
            missing: dict[str, str] = {}
            for name in list(answers):
                roll = rng.random()
                if roll < 0.015:
                    del answers[name]
                elif roll < 0.025:
                    answers.pop(name)
                    missing[name] = rng.choice(MissingCode.values)
            responses.append(
                Response(
                    participant=p,
                    visit=v,
                    instrument=atec,
                    status="complete",
                    respondent="parent",
                    language=p.preferred_language,
                    answered_on=v.done_on,
                    completed_at=_at(v.done_on, 12, rng.randint(0, 59), tz),
                    source="synthetic",
                    answers=answers,
                    missing=missing,
                    scores=scoring.score_response(atec_scores, answers, missing),
                    entered_by=system,
                )
            )
        for analyte in v.definition.biomarkers:
            if analyte not in ANALYTE_MODEL or rng.random() < 0.08:
                continue
            median, spread, lloq, uloq, kit = ANALYTE_MODEL[analyte]
            early = 0.85 if 0 < v.target_day <= 45 else 1.0
            value = D(f"{median * early * math.exp(rng.gauss(0, spread)):.2f}")
            below = value < D(str(lloq))
            collected = _at(v.done_on, 9, rng.randint(0, 59), tz)
            measurements.append(
                Measurement(
                    participant=p,
                    visit=v,
                    analyte=analyte,
                    value=D(str(lloq)) if below else value,
                    unit="pg/mL",
                    reported_value=f"<{lloq}" if below else str(value),
                    reported_unit="pg/mL",
                    matrix="plasma",
                    collected_at=collected,
                    processed_at=collected + dt.timedelta(minutes=rng.randint(30, 110)),
                    assay="ELISA",
                    kit=kit,
                    lot=f"SYN-{v.done_on:%y%m}",
                    lloq=D(str(lloq)),
                    uloq=D(str(uloq)),
                    limit_flag=limit_flag(value, D(str(lloq)), D(str(uloq)), "<" if below else ""),
                    cv_percent=D(f"{abs(rng.gauss(6, 2.5)):.1f}"),
                    provenance="synthetic generator (bulk)",
                    source="synthetic",
                    entered_by=accounts[f"lab:{p.site_id}"],
                )
            )
    _bulk(Response, responses, system, "form completed (synthetic bulk)")
    _bulk(Measurement, measurements, system, "result recorded (synthetic bulk)")
    counts["responses"] = len(responses)
    counts["measurements"] = len(measurements)

    # products: an autologous lot per child, or a share of a donor lot (20 children per lot)
    code_taken: set[str] = set()
    treated = [
        (p, e["assignment"])
        for p, e in zip(people, extra, strict=True)
        if e.get("assignment") is not None and e["assignment"].day_zero is not None
    ]
    donors = {
        site.pk: Donor(
            code=_code(rng, "DN", code_taken),
            site=site,
            eligibility="eligible",
            eligibility_determined_on=dt.date(2020, 1, 1),
            eligibility_summary="synthetic donor",
        )
        for site in sites
    }
    _bulk(Donor, list(donors.values()), system, "donor registered (synthetic bulk)")
    sources, lots, plan = [], [], []
    shared: dict[tuple[int, str], Lot] = {}
    shared_fill: dict[tuple[int, str], int] = {}
    for p, a in treated:
        product = a.arm.product_type
        concentration, unit, storage = FORMULATION[product]
        autologous = product in ProductType.autologous()
        key = (p.site_id, a.arm.code)
        if autologous or shared_fill.get(key, 20) >= 20:
            source = SourceMaterial(
                code=_code(rng, "SM", code_taken),
                site_id=p.site_id,
                kind="cord_blood"
                if product == ProductType.CORD_BLOOD_AUTOLOGOUS
                else ("skin_biopsy" if autologous else "bone_marrow"),
                participant=p if autologous else None,
                donor=None if autologous else donors[p.site_id],
                collected_at=_at(a.day_zero - dt.timedelta(days=60), 10, 0, p.site.time_zone),
            )
            sources.append(source)
            lot = Lot(
                code=_code(rng, "LT", code_taken),
                site_id=p.site_id,
                participant=p if autologous else None,
                source=source,
                product_type=product,
                arm=None if autologous else a.arm,
                status="administered",
                manufacture_started_on=a.day_zero - dt.timedelta(days=50),
                manufactured_on=a.day_zero - dt.timedelta(days=36),
                expires_at=_at(a.day_zero + dt.timedelta(days=300), 0, 0, "UTC"),
                concentration=concentration,
                concentration_unit=unit,
                volume_ml=D(50),
                storage=storage,
                qc_specification=specs[product],
                status_changed_at=now,
            )
            lots.append(lot)
            if not autologous:
                shared[key], shared_fill[key] = lot, 0
        else:
            lot = shared[key]
        if not autologous:
            shared_fill[key] += 1
        volume = (a.dose_total / concentration).quantize(D("0.01"), rounding=ROUND_UP)
        plan.append((p, a, lot, max(volume, D("0.01"))))
    _bulk(SourceMaterial, sources, system, "collected (synthetic bulk)")
    for lot in lots:
        lot.source_id = lot.source.pk
    _bulk(Lot, lots, system, "manufactured (synthetic bulk)")
    containers, administrations = [], []
    seq: dict[int, int] = {}
    for p, _a, lot, volume in plan:
        seq[lot.pk] = seq.get(lot.pk, 0) + 1
        containers.append(
            Container(
                code=_code(rng, "CN", code_taken),
                lot=lot,
                site_id=p.site_id,
                sequence=seq[lot.pk],
                volume_ml=volume,
                status="administered",
            )
        )
    _bulk(Container, containers, system, "filled (synthetic bulk)")
    for (p, a, lot, volume), container in zip(plan, containers, strict=True):
        tz = p.site.time_zone
        administrations.append(
            Administration(
                code=_code(rng, "AD", code_taken),
                participant=p,
                site_id=p.site_id,
                container=container,
                lot=lot,
                arm=a.arm,
                administered_by=accounts[f"nurse:{p.site_id}"],
                scanned_participant_code=p.study_code,
                scanned_container_code=container.code,
                route=a.arm.route,
                started_at=_at(a.day_zero, 9, 0, tz),
                stopped_at=_at(a.day_zero, 10, 0, tz),
                volume_ml=volume,
                weight_kg=a.weight_kg,
                dose_total=a.dose_total,
                dose_per_kg=a.dose_per_kg,
                dose_unit=a.dose_unit,
                is_first=True,
            )
        )
    _bulk(Administration, administrations, system, "administered (synthetic bulk)")
    counts["lots"] = len(lots)
    counts["administrations"] = len(administrations)

    # adverse events: about a quarter of treated children, mostly early, non-serious
    events = []
    ae_taken: set[str] = set(AdverseEvent.objects.values_list("code", flat=True))
    for (p, a, lot, _volume), adm in zip(plan, administrations, strict=True):
        for _ in range(rng.choices([0, 1, 2], weights=[0.75, 0.18, 0.07])[0]):
            term, soc, grade_w, rel_product, rel_procedure = rng.choice(COMMON_EVENTS)
            span = (today - a.day_zero).days
            if span < 1:
                continue
            onset = a.day_zero + dt.timedelta(days=min(span, int(rng.expovariate(1 / 30))))
            outcome = rng.choice(OUTCOMES)
            day = timeline.study_day(a.day_zero, onset)
            events.append(
                AdverseEvent(
                    code=_code(rng, "AE", ae_taken),
                    participant=p,
                    term=term,
                    soc=soc,
                    description="SYNTHETIC event generated for benchmarking.",
                    onset_date=onset,
                    resolution_date=min(today, onset + dt.timedelta(days=rng.randint(0, 10)))
                    if outcome == "recovered"
                    else None,
                    grade=rng.choices([1, 2, 3], weights=grade_w)[0],
                    relatedness_product=rel_product,
                    relatedness_procedure=rel_procedure,
                    expectedness="expected",
                    action_taken="none",
                    outcome=outcome,
                    aware_at=_at(min(today, onset + dt.timedelta(days=1)), 11, 0, p.site.time_zone),
                    reported_by=accounts[f"investigator:{p.site_id}"],
                    administration_code=adm.code,
                    administered_at=adm.started_at,
                    lot_code=lot.code,
                    product_type=lot.product_type,
                    route=adm.route,
                    dose_per_kg=adm.dose_per_kg,
                    dose_unit=adm.dose_unit,
                    days_since_administration=(onset - a.day_zero).days,
                    study_day=day,
                    phase=str(timeline.phase_of(day, bounds)),
                    protocol_label=str(protocol),
                    arm_code=a.arm.code,
                )
            )
    _bulk(AdverseEvent, events, system, "adverse event reported (synthetic bulk)")
    counts["adverse_events"] = len(events)
    return counts


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--visits", type=int, default=11)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--no-migrate", action="store_true")
    args = parser.parse_args(list(argv) if argv is not None else None)
    _setup(args.database_url)
    from django.core.management import call_command

    if not args.no_migrate:
        call_command("migrate", "--noinput", verbosity=0)
    counts = build_registry(args.participants, args.visits, args.seed)
    for key, value in counts.items():
        print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
