"""Build a synthetic registry of any size from a seed, through the real services."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeVar

from django.db import transaction
from django.utils import timezone

from neuroregen.core.models import Site, User
from neuroregen.core.roles import Role
from neuroregen.core.services import membership_grant, site_create
from neuroregen.participants import choices as c
from neuroregen.participants import services as ps
from neuroregen.participants.models import ConsentDocument, Participant

GIVEN = [
    "Alex",
    "Sasha",
    "Mira",
    "Ivan",
    "Olena",
    "Maks",
    "Lev",
    "Nina",
    "Taras",
    "Zoya",
    "Artem",
    "Daria",
    "Roman",
    "Vera",
    "Yurii",
    "Kira",
    "Emma",
    "Noah",
    "Liam",
    "Ava",
]
FAMILY = ["Synthetic", "Testova", "Demoenko", "Sampleson", "Mockova", "Fictional", "Exemplar"]
SITES = [
    ("SYN-KYIV", "Synthetic site Kyiv", "UA", "Europe/Kyiv"),
    ("SYN-LON", "Synthetic site London", "GB", "Europe/London"),
    ("SYN-BOS", "Synthetic site Boston", "US", "America/New_York"),
    ("SYN-ALM", "Synthetic site Almaty", "KZ", "Asia/Almaty"),
]
# Approximate shares in paediatric ASD cohorts; used for realism, not for inference.
SEVERITY_WEIGHTS = [(1, 0.3), (2, 0.45), (3, 0.25)]
SYNDROME_WEIGHTS = [
    (c.Syndrome.FRAGILE_X, 0.4),
    (c.Syndrome.TSC, 0.2),
    (c.Syndrome.DUP15Q, 0.2),
    (c.Syndrome.RETT, 0.1),
    (c.Syndrome.OTHER, 0.1),
]
COMORBIDITY_RATES = {
    c.Comorbidity.EPILEPSY: 0.12,
    c.Comorbidity.ADHD: 0.3,
    c.Comorbidity.INTELLECTUAL_DISABILITY: 0.3,
    c.Comorbidity.SLEEP_DISORDER: 0.4,
    c.Comorbidity.GASTROINTESTINAL: 0.25,
    c.Comorbidity.ANXIETY: 0.2,
}


@dataclass
class Cohort:
    sites: list[Site] = field(default_factory=list)
    participants: list[Participant] = field(default_factory=list)
    system_user: User | None = None


_T = TypeVar("_T")


def _pick(rng: random.Random, weighted: Sequence[tuple[_T, float]]) -> _T:
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights=weights)[0]


def consent_documents() -> dict[str, ConsentDocument]:
    """The consent and assent forms the synthetic programme uses (one version, three languages)."""
    docs: dict[str, ConsentDocument] = {}
    for kind, title in (
        (c.ConsentKind.GUARDIAN_CONSENT, "Guardian consent"),
        (c.ConsentKind.CHILD_ASSENT, "Child assent"),
    ):
        for lang in c.Language.values:
            doc, _ = ConsentDocument.objects.get_or_create(
                kind=kind,
                version="1.0",
                language=lang,
                defaults={
                    "title": f"{title} (synthetic programme)",
                    "effective_from": dt.date(2015, 1, 1),
                },
            )
            docs[f"{kind}:{lang}"] = doc
    return docs


def system_account() -> User:
    """The account synthetic records are attributed to in the audit trail."""
    user, created = User.objects.get_or_create(
        username="synthetic-generator",
        defaults={"first_name": "Synthetic", "last_name": "Generator"},
    )
    if created:  # it writes through the services but can never sign in
        user.set_unusable_password()
        user.save()
    membership_grant(user=user, role=Role.ADMINISTRATOR, site=None)
    return user


@transaction.atomic
def build_cohort(*, n_participants: int = 60, n_sites: int = 3, seed: int = 2026) -> Cohort:
    """Create synthetic sites and participants through the services (so audit rows exist too).

    Ages at screening are 2–12 years; about 80 % of children reach enrolment, some screen-fail,
    some are still in screening, a few withdraw.
    """
    rng = random.Random(seed)
    today = timezone.localdate()
    cohort = Cohort()
    generator = system_account()
    cohort.system_user = generator
    for code, name, country, tz in SITES[: max(1, min(n_sites, len(SITES)))]:
        site = Site.objects.filter(code=code).first() or site_create(
            code=code, name=name, country=country, time_zone=tz, is_synthetic=True
        )
        cohort.sites.append(site)
    docs = consent_documents()
    for i in range(n_participants):
        site = cohort.sites[i % len(cohort.sites)]
        age_days = rng.randint(2 * 365 + 10, 12 * 365 + 300)
        screened_on = today - dt.timedelta(days=rng.randint(30, 900))
        birth = screened_on - dt.timedelta(days=age_days)
        finding = _pick(
            rng,
            [
                (c.GeneticFinding.NONE, 0.55),
                (c.GeneticFinding.NOT_TESTED, 0.2),
                (c.GeneticFinding.SYNDROMIC, 0.15),
                (c.GeneticFinding.CNV, 0.1),
            ],
        )
        syndrome = _pick(rng, SYNDROME_WEIGHTS) if finding == c.GeneticFinding.SYNDROMIC else ""
        details = ""
        if finding == c.GeneticFinding.CNV:
            details = rng.choice(["16p11.2 deletion", "22q11.2 duplication", "1q21.1 deletion"])
        elif syndrome == c.Syndrome.OTHER:
            details = "Phelan-McDermid syndrome"
        language = {"UA": "uk", "KZ": "ru"}.get(site.country, "en")
        participant = ps.participant_screen(
            user=generator,
            site=site,
            screened_on=screened_on,
            identity={
                "given_name": rng.choice(GIVEN),
                "family_name": f"{rng.choice(FAMILY)}-{i:04d}",
                "date_of_birth": birth,
                "guardian_name": f"Guardian {rng.choice(FAMILY)}",
                "guardian_relationship": rng.choice(["mother", "father", "legal guardian"]),
                "guardian_phone": f"+000 {rng.randint(1000000, 9999999)}",
                "guardian_email": f"guardian{i}@example.invalid",
            },
            research={
                "sex": rng.choices([c.Sex.MALE, c.Sex.FEMALE], weights=[0.8, 0.2])[0],
                "country": site.country,
                "preferred_language": language,
                "asd_diagnosis_date": birth + dt.timedelta(days=rng.randint(600, age_days - 5)),
                "dsm5_severity": _pick(rng, SEVERITY_WEIGHTS),
                "diagnostic_instrument": rng.choice(
                    [
                        c.DiagnosticInstrument.ADOS2,
                        c.DiagnosticInstrument.ADIR,
                        c.DiagnosticInstrument.DSM5_CLINICAL,
                    ]
                ),
                "genetic_finding": finding,
                "syndrome": syndrome,
                "genetic_details": details,
                "therapy_hours_per_week": Decimal(rng.choice([0, 2, 5, 10, 15, 20, 25])),
            },
        )
        for condition, rate in COMORBIDITY_RATES.items():
            if rng.random() < rate:
                ps.comorbidity_record(
                    user=generator,
                    participant=participant,
                    condition=condition,
                    seizure_control=rng.choice(c.SeizureControl.values)
                    if condition == c.Comorbidity.EPILEPSY
                    else "",
                )
        ps.anthropometry_record(
            user=generator,
            participant=participant,
            measured_on=screened_on,
            weight_kg=Decimal(str(round(10 + age_days / 365 * 2.6 + rng.gauss(0, 2), 1))),
            height_cm=Decimal(str(round(80 + age_days / 365 * 6.5 + rng.gauss(0, 4), 1))),
        )
        roll = rng.random()
        if roll < 0.08:
            cohort.participants.append(participant)
            continue  # still screening
        if roll < 0.15:
            ps.participant_screen_fail(
                user=generator,
                participant=participant,
                reason=rng.choice(
                    ["uncontrolled epilepsy", "guardian declined", "active infection"]
                ),
            )
            cohort.participants.append(participant)
            continue
        signed = screened_on + dt.timedelta(days=rng.randint(0, 14))
        ps.consent_record(
            user=generator,
            participant=participant,
            document=docs[f"{c.ConsentKind.GUARDIAN_CONSENT}:{language}"],
            signed_on=signed,
            signed_by_relationship=participant.identity.guardian_relationship,
        )
        if ps.assent_required(participant, signed):
            ps.consent_record(
                user=generator,
                participant=participant,
                document=docs[f"{c.ConsentKind.CHILD_ASSENT}:{language}"],
                signed_on=signed,
                signed_by_relationship="child",
            )
        enrolled_on = signed + dt.timedelta(days=rng.randint(1, 10))
        participant = ps.participant_enrol(
            user=generator, participant=participant, enrolled_on=enrolled_on
        )
        if rng.random() < 0.05:
            ps.consent_withdraw(
                user=generator,
                participant=participant,
                scope=rng.choice(c.WithdrawalScope.values),
                effective_on=min(today, enrolled_on + dt.timedelta(days=rng.randint(10, 200))),
                reason="family moved away",
            )
        cohort.participants.append(participant)
    return cohort
