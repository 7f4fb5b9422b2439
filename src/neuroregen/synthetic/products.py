"""Synthetic cell products for the demo cohort, made through the real services.

Runs after the protocols demo (``synthetic.protocols.populate``): participants with an arm in
force and a recorded day 0 receive a product on that day. Autologous arms get a lot made from
the child's own material; allogeneic arms share donor lots made at the first site (the
manufacturing site) and shipped to the others. Included on purpose: one lot that fails QC
(endotoxin), one temperature excursion left awaiting assessment, one recalled lot with
recipients to contact, one infusion reaction (which opens an adverse event), and one new
donor-specific antibody after administration.

The administrations are entered retrospectively on each child's existing day 0, while the
e-signatures (release, hand-offs) carry the time the demo was built: a release therefore shows
a later time than the administrations it covers. Placebo (vehicle) lots are not generated.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from collections.abc import Sequence
from decimal import ROUND_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from neuroregen.core.models import User
from neuroregen.core.roles import Role
from neuroregen.core.services import membership_grant
from neuroregen.core.time import site_today
from neuroregen.products import choices as c
from neuroregen.products import services as s
from neuroregen.products.models import Lot, QCSpecification
from neuroregen.protocols.choices import ProductType
from neuroregen.protocols.models import Arm
from neuroregen.protocols.selectors import current_assignment
from neuroregen.synthetic.product_catalogue import (
    FORMULATION,
    HLA_POOL,
    PASSING,
    SOURCE_KIND,
    SPECS,
    D,
)


def _account(role: Role, site: Any, secret: str) -> User:
    """A synthetic lab or clinic account per site; random password, never printed."""
    username = f"synthetic-{role.value}-{site.code.lower()}"
    user = User.objects.filter(username=username).first() or User(
        username=username, first_name="Synthetic", last_name=f"{role.label} {site.code}"
    )
    user.set_password(secret)
    user.save()
    membership_grant(user=user, role=role, site=site)
    return user


def _reviewer(site: Any, secret: str) -> User:
    """The site's QA reviewer, who signs releases of lots the lab account tested."""
    username = f"synthetic-qa-{site.code.lower()}"
    user = User.objects.filter(username=username).first() or User(
        username=username, first_name="Synthetic", last_name=f"QA {site.code}"
    )
    user.set_password(secret)
    user.save()
    membership_grant(user=user, role=Role.LAB, site=site)
    return user


def _specs(lab: User) -> None:
    for product_type, items in SPECS.items():
        if QCSpecification.objects.filter(product_type=product_type, status="active").exists():
            continue
        draft = s.qc_specification_create(
            user=lab,
            product_type=product_type,
            version="1.0",
            items=items,
            notes="synthetic programme",
        )
        s.qc_specification_activate(
            user=lab, specification=draft, effective_from=dt.date(2020, 1, 1)
        )


def _at(day: dt.date, hour: int, tz: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, 0), tzinfo=ZoneInfo(tz))


def _volume(product_type: str, arm: Any, weight: Decimal) -> Decimal:
    concentration = FORMULATION[product_type][0]
    total = arm.dose_per_kg_default * weight
    if arm.dose_absolute_cap is not None:
        total = min(total, arm.dose_absolute_cap)
    return (total / concentration).quantize(D("0.01"), rounding=ROUND_UP)


def _qc(lab: User, lot: Lot, day: dt.date, **overrides: dict[str, Any]) -> None:
    for item in lot.qc_specification.items.all():
        values = overrides.get(item.test_code, PASSING[item.test_code])
        s.qc_result_record(user=lab, lot=lot, test_code=item.test_code, tested_on=day, **values)


def _make_lot(
    *,
    lab: User,
    secret: str,
    source: Any,
    product_type: str,
    start: dt.date,
    volumes: list[Decimal],
    arm: Any = None,
    line: Any = None,
    release: bool = True,
    **qc_overrides: dict[str, Any],
) -> Lot:
    concentration, unit, storage = FORMULATION[product_type]
    lot = s.lot_create(
        user=lab,
        source=source,
        ipsc_line=line,
        product_type=product_type,
        arm=arm,
        manufacture_started_on=start,
        expires_at=timezone.now() + dt.timedelta(days=400),
        concentration=concentration,
        concentration_unit=unit,
        volume_ml=sum(volumes, D(0)) + D(2),
        storage=storage,
    )
    s.containers_fill(user=lab, lot=lot, volumes_ml=volumes)
    today = site_today(lot)
    s.lot_complete_manufacture(
        user=lab, lot=lot, manufactured_on=min(start + dt.timedelta(days=14), today)
    )
    _qc(lab, lot, min(start + dt.timedelta(days=21), today), **qc_overrides)
    lot = s.lot_qc_conclude(user=lab, lot=lot)
    if release and lot.status == c.LotStatus.QC_PASSED:
        # Release is a second person's review: the site's QA account, not the tester.
        s.lot_release(user=_reviewer(lot.site, secret), lot=lot, password=secret)
    lot.refresh_from_db()
    return lot


def _typing(rng: random.Random) -> dict[str, Sequence[str]]:
    return {locus: tuple(rng.sample(alleles, 2)) for locus, alleles in HLA_POOL.items()}


@transaction.atomic
def populate(cohort: Any, rng: random.Random) -> dict[str, int]:
    """Create products, custody, administrations, HLA data and the edge cases listed above."""
    secret = secrets.token_urlsafe(24)
    sites = list(cohort.sites)
    labs = {site.pk: _account(Role.LAB, site, secret) for site in sites}
    nurses = {site.pk: _account(Role.COORDINATOR, site, secret) for site in sites}
    maker = sites[0]
    _specs(labs[maker.pk])
    counts = {"lots": 0, "administrations": 0, "recalled": 0, "qc_failed": 0, "excursions": 0}

    recipients: list[tuple[Any, Any]] = []
    for participant in cohort.participants:
        participant.refresh_from_db()
        assignment = current_assignment(participant)
        if assignment is None or assignment.day_zero is None or assignment.arm is None:
            continue
        if participant.status != "enrolled" or participant.withdrawals.exists():
            continue
        if assignment.arm.product_type not in FORMULATION:
            continue  # placebo / vehicle lots are not generated
        if participant.administrations.exists():
            continue
        recipients.append((participant, assignment))

    allogeneic: dict[tuple[int, str], list[tuple[Any, Any]]] = {}
    for participant, assignment in recipients:
        arm = assignment.arm
        assert arm is not None  # noqa: S101 - filtered above
        if arm.product_type in ProductType.autologous():
            _autologous(participant, assignment, labs, nurses, secret, rng, counts)
        else:
            allogeneic.setdefault((arm.pk, arm.product_type), []).append((participant, assignment))

    donor_typing = _typing(rng)
    msc_arm = (
        Arm.objects.filter(product_type=ProductType.MSC_ALLOGENEIC, protocol__status="active")
        .order_by("-protocol__version")
        .first()
    )
    if msc_arm is not None:  # the MSC stock lot exists even when no child in the demo is on MSC
        allogeneic.setdefault((msc_arm.pk, ProductType.MSC_ALLOGENEIC), [])
    lots_given = []
    for (arm_pk, product_type), group in allogeneic.items():
        arm = Arm.objects.get(pk=arm_pk)
        earliest = min([a.day_zero for _, a in group] or [timezone.localdate()])
        lab = labs[maker.pk]
        donor = s.donor_register(
            user=lab,
            site=maker,
            eligibility=c.DonorEligibility.ELIGIBLE,
            determined_on=earliest - dt.timedelta(days=90),
            summary="HIV, HBV, HCV, HTLV, syphilis negative; history reviewed",
        )
        s.hla_typing_record(
            user=lab,
            donor=donor,
            typed_on=earliest - dt.timedelta(days=90),
            resolution="high",
            alleles=donor_typing,
        )
        source = s.source_collect(
            user=lab,
            donor=donor,
            kind=c.SourceKind.BONE_MARROW
            if product_type == ProductType.MSC_ALLOGENEIC
            else c.SourceKind.UMBILICAL_CORD_TISSUE,
            collected_at=_at(earliest - dt.timedelta(days=80), 9, maker.time_zone),
        )
        volume = max(_volume(product_type, arm, D(60)), D(1))
        lot = _make_lot(
            lab=lab,
            secret=secret,
            source=source,
            product_type=product_type,
            arm=arm,
            start=earliest - dt.timedelta(days=60),
            volumes=[volume] * (len(group) + 2),
        )
        counts["lots"] += 1
        containers = list(lot.containers.order_by("sequence"))
        for (participant, assignment), container in zip(group, containers, strict=False):
            _administer(participant, assignment, container, lab, nurses, secret, rng, counts)
        if group:
            lots_given.append(lot)
        if product_type == ProductType.MSC_ALLOGENEIC and len(sites) > 1:
            # A spare container arrives too warm: blocked until quality assesses it.
            _ship(
                lab, [containers[-1]], sites[-1], site_today(sites[-1]), nurses, temperature=D(-120)
            )
            counts["excursions"] += 1
        _antibodies(group, labs, rng, donor_typing)
    to_recall = lots_given[-1] if lots_given else None
    if to_recall is None:
        to_recall = Lot.objects.filter(status=c.LotStatus.ADMINISTERED).order_by("pk").first()
    if to_recall is not None:
        s.lot_recall(
            user=labs[to_recall.site_id],
            lot=to_recall,
            reason="retained-sample sterility positive at day 14 (synthetic)",
            password=secret,
        )
        counts["recalled"] += 1

    _failed_qc(cohort, labs, secret, counts)
    return counts


def _autologous(
    participant: Any,
    assignment: Any,
    labs: dict,
    nurses: dict,
    secret: str,
    rng: random.Random,
    counts: dict[str, int],
) -> None:
    site = participant.site
    lab = labs[site.pk]
    product_type = assignment.arm.product_type
    consent = participant.consents.order_by("signed_on").first()
    collected = max(consent.signed_on, assignment.day_zero - dt.timedelta(days=75))
    if product_type == ProductType.CORD_BLOOD_AUTOLOGOUS:  # banked at birth
        collected = participant.identity.birth_date
    source = s.source_collect(
        user=lab,
        participant=participant,
        kind=SOURCE_KIND[product_type],
        collected_at=_at(collected, 10, site.time_zone),
        quantity="4 mm punch" if product_type == ProductType.IPSC_MIX else "cord blood unit, 80 mL",
    )
    line = None
    if product_type == ProductType.IPSC_MIX:
        line = s.ipsc_line_derive(
            user=lab,
            source=source,
            reprogramming_method="sendai",
            clone=f"C{rng.randint(1, 9)}",
            passage=rng.randint(10, 20),
            derived_on=collected + dt.timedelta(days=5),
            bank="mcb",
        )
    weight = _weight(participant, assignment)
    volume = _volume(product_type, assignment.arm, weight)
    start = max(collected + dt.timedelta(days=6), assignment.day_zero - dt.timedelta(days=40))
    lot = _make_lot(
        lab=lab,
        secret=secret,
        source=source,
        product_type=product_type,
        line=line,
        start=start,
        volumes=[volume + D(1)] * assignment.arm.administrations,
    )
    counts["lots"] += 1
    _administer(
        participant,
        assignment,
        lot.containers.order_by("sequence").first(),
        lab,
        nurses,
        secret,
        rng,
        counts,
    )


def _weight(participant: Any, assignment: Any) -> Decimal:
    measured = (
        participant.anthropometry.filter(measured_on__lte=assignment.day_zero)
        .order_by("-measured_on")
        .first()
    )
    return measured.weight_kg if measured is not None else D(22)


def _administer(
    participant: Any,
    assignment: Any,
    container: Any,
    lab: User,
    nurses: dict,
    secret: str,
    rng: random.Random,
    counts: dict[str, int],
) -> None:
    site = participant.site
    nurse = nurses[site.pk]
    day = assignment.day_zero
    if container.site_id != site.pk:
        _ship(lab, [container], site, day, nurses)
        container.refresh_from_db()
    s.custody_record(
        user=nurse,
        lot=container.lot,
        container=container,
        kind="handoff",
        occurred_at=_at(day, 8, site.time_zone),
        from_party="Cell therapy pharmacy",
        to_party="Day-unit nurse",
        place=f"{site.code} day unit",
        password=secret,
    )
    weight = _weight(participant, assignment)
    volume = _volume(container.lot.product_type, assignment.arm, weight)
    reaction = {}
    if counts["administrations"] == 2:
        reaction = {
            "reaction": c.Reaction.INFUSION_REACTION,
            "reaction_description": "flushing and fever 38.4 °C at 25 min; infusion "
            "slowed, resolved with paracetamol (synthetic)",
        }
    s.administration_record(
        user=nurse,
        participant=participant,
        container=container,
        scanned_participant_code=participant.study_code,
        scanned_container_code=container.code,
        started_at=_at(day, 9, site.time_zone),
        stopped_at=_at(day, 10, site.time_zone),
        volume_ml=volume,
        weight_kg=weight,
        premedication=rng.choice(["", "paracetamol 15 mg/kg"]),
        **reaction,
    )
    counts["administrations"] += 1


def _ship(
    lab: User,
    containers: list,
    site: Any,
    day: dt.date,
    nurses: dict,
    temperature: Decimal | None = None,
) -> None:
    """Ship and receive; ``temperature`` on arrival (default: the middle of the storage range)."""
    lot = containers[0].lot
    low, high = lot.storage_range
    usual = D(low + high) / 2
    s.shipment_dispatch(
        user=lab,
        containers=containers,
        to_site=site,
        occurred_at=_at(day - dt.timedelta(days=3), 8, lot.site.time_zone),
        courier="CryoCourier (synthetic)",
        temperature_c=usual,
    )
    for container in containers:
        s.shipment_receive(
            user=nurses[site.pk],
            container=container,
            occurred_at=_at(day - dt.timedelta(days=2), 14, site.time_zone),
            received_by="Cell therapy pharmacy",
            temperature_c=usual if temperature is None else temperature,
        )


def _antibodies(group: list, labs: dict, rng: random.Random, donor_typing: dict) -> None:
    """Recipient typing and anti-HLA screens: negative before dosing; one new DSA after."""
    flagged = False
    for participant, assignment in group:
        lab = labs[participant.site_id]
        day = assignment.day_zero
        recipient = _typing(rng)
        s.hla_typing_record(
            user=lab,
            participant=participant,
            typed_on=day - dt.timedelta(days=30),
            resolution="high",
            alleles=recipient,
        )
        s.antibody_screen_record(
            user=lab,
            participant=participant,
            result="negative",
            sampled_on=day - dt.timedelta(days=30),
        )
        after = day + dt.timedelta(days=28)
        if after > site_today(participant):
            continue
        mismatched = sorted(s.mismatched_antigens_for(participant))
        if not flagged and mismatched:
            target = mismatched[0].replace("DRB1*", "DR").replace("*", "")
            s.antibody_screen_record(
                user=lab,
                participant=participant,
                result="positive",
                sampled_on=after,
                specificities=target,
                max_mfi=4200,
            )
            flagged = True
        else:
            s.antibody_screen_record(
                user=lab, participant=participant, result="negative", sampled_on=after
            )


def _failed_qc(cohort: Any, labs: dict, secret: str, counts: dict[str, int]) -> None:
    """One autologous lot whose endotoxin is out of specification, with its deviation."""
    for participant in cohort.participants:
        participant.refresh_from_db()
        if participant.status != "enrolled" or participant.product_lots.exists():
            continue
        lab = labs[participant.site_id]
        consent = participant.consents.order_by("signed_on").first()
        source = s.source_collect(
            user=lab,
            participant=participant,
            kind=c.SourceKind.SKIN_BIOPSY,
            collected_at=_at(consent.signed_on, 11, participant.site.time_zone),
        )
        line = s.ipsc_line_derive(
            user=lab,
            source=source,
            reprogramming_method="episomal",
            clone="C2",
            passage=14,
            derived_on=consent.signed_on,
        )
        lot = _make_lot(
            lab=lab,
            secret=secret,
            source=source,
            product_type=ProductType.IPSC_MIX,
            line=line,
            start=consent.signed_on,
            volumes=[D(4)],
            endotoxin={"value": D("1.8")},
        )
        result = lot.qc_results.get(item__test_code="endotoxin")
        s.deviation_record(
            user=lab,
            lot=lot,
            qc_result=result,
            classification="major",
            description="Endotoxin 1.8 EU/mL exceeds 0.5 EU/mL; lot not released",
            opened_on=result.tested_on,
        )
        counts["lots"] += 1
        counts["qc_failed"] += 1
        return
