"""Builders for product tests: real services, realistic values."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from neuroregen.core.roles import Role
from neuroregen.core.time import site_today
from neuroregen.products import choices as c
from neuroregen.products import services as s
from neuroregen.products.models import QCSpecification
from neuroregen.protocols.choices import ProductType
from tests.helpers import PASSWORD, enrolled, make_user

NEURON_TESTS: list[dict[str, Any]] = [
    {
        "test_code": "sterility",
        "name": "Sterility",
        "method": "Ph. Eur. 2.6.27",
        "criterion": c.CriterionKind.PASS_FAIL,
    },
    {
        "test_code": "endotoxin",
        "name": "Endotoxin",
        "method": "LAL kinetic chromogenic",
        "criterion": c.CriterionKind.AT_MOST,
        "upper": Decimal("0.5"),
        "unit": "EU/mL",
    },
    {
        "test_code": "viability",
        "name": "Viability",
        "method": "Trypan blue",
        "criterion": c.CriterionKind.AT_LEAST,
        "lower": Decimal(70),
        "unit": "%",
    },
    {
        "test_code": "purity",
        "name": "Neuronal purity (MAP2+)",
        "method": "Flow cytometry",
        "criterion": c.CriterionKind.RANGE,
        "lower": Decimal(80),
        "upper": Decimal(100),
        "unit": "%",
    },
]
PASSING = {
    "sterility": {"passed": True},
    "endotoxin": {"value": Decimal("0.1")},
    "viability": {"value": Decimal(88)},
    "purity": {"value": Decimal(91)},
}


def lab(site, name: str | None = None):
    return make_user(Role.LAB, site, name)


def qa(site):
    """The site's second lab/QC person, who signs releases of lots others tested."""
    from neuroregen.core.models import User

    username = f"qa-{site.code.lower()}"
    return User.objects.filter(username=username).first() or make_user(Role.LAB, site, username)


def spec(
    user, product_type: str = ProductType.IPSC_NEURONS, version: str = "1.0"
) -> QCSpecification:
    existing = QCSpecification.objects.filter(product_type=product_type, status="active").first()
    if existing is not None:
        return existing
    draft = s.qc_specification_create(
        user=user, product_type=product_type, version=version, items=NEURON_TESTS
    )
    return s.qc_specification_activate(
        user=user, specification=draft, effective_from=dt.date(2024, 1, 1)
    )


def autologous_lot(
    lab_user,
    participant,
    *,
    containers: int = 2,
    status: str = "quarantine",
    concentration: Decimal = Decimal("1e7"),
    expires_in_days: int = 30,
    product_type: str = ProductType.IPSC_NEURONS,
):
    """An autologous iPSC-neuron lot for ``participant``, brought to ``status``."""
    spec(lab_user, product_type)
    now = timezone.now()
    today = site_today(participant)
    source = s.source_collect(
        user=lab_user,
        participant=participant,
        kind=c.SourceKind.SKIN_BIOPSY,
        collected_at=now - dt.timedelta(minutes=30),
        quantity="4 mm punch",
    )
    line = s.ipsc_line_derive(
        user=lab_user,
        source=source,
        reprogramming_method="sendai",
        clone="C3",
        passage=12,
        derived_on=today,
    )
    lot = s.lot_create(
        user=lab_user,
        source=source,
        ipsc_line=line,
        product_type=product_type,
        manufacture_started_on=today,
        expires_at=now + dt.timedelta(days=expires_in_days),
        concentration=concentration,
        concentration_unit=c.ConcentrationUnit.CELLS_PER_ML,
        volume_ml=Decimal(20),
        storage=c.StorageCondition.LN2_VAPOUR,
    )
    if containers:
        s.containers_fill(user=lab_user, lot=lot, volumes_ml=[Decimal(5)] * containers)
    if status == "in_process":
        return lot
    lot = s.lot_complete_manufacture(user=lab_user, lot=lot, manufactured_on=today)
    if status == "quarantine":
        return lot
    record_qc(lab_user, lot)
    lot = s.lot_qc_conclude(user=lab_user, lot=lot)
    if status == "qc_passed":
        return lot
    s.lot_release(user=qa(lot.site), lot=lot, password=PASSWORD)
    lot.refresh_from_db()
    return lot


def record_qc(lab_user, lot, **overrides: dict[str, Any]) -> None:
    for test_code, values in {**PASSING, **overrides}.items():
        if values is None:
            continue
        s.qc_result_record(
            user=lab_user, lot=lot, test_code=test_code, tested_on=site_today(lot), **values
        )


def participant(site, user=None):
    user = user or make_user(Role.COORDINATOR, site)
    return enrolled(user, site)


def allogeneic_source(lab, site):
    """Bone marrow collected two hours ago from an eligible donor of ``site``."""
    donor = s.donor_register(
        user=lab,
        site=site,
        eligibility="eligible",
        determined_on=site_today(site),
        summary="IDT negative",
    )
    return s.source_collect(
        user=lab,
        donor=donor,
        kind="bone_marrow",
        collected_at=timezone.now() - dt.timedelta(hours=2),
    )


def allogeneic_lot(lab, site, *, arm=None, containers: int = 3):
    spec(lab, ProductType.MSC_ALLOGENEIC)
    source = allogeneic_source(lab, site)
    lot = s.lot_create(
        user=lab,
        source=source,
        product_type=ProductType.MSC_ALLOGENEIC,
        arm=arm,
        manufacture_started_on=site_today(site),
        expires_at=timezone.now() + dt.timedelta(days=60),
        concentration=Decimal("1e7"),
        concentration_unit="cells_per_ml",
        volume_ml=Decimal(50),
        storage="ln2",
    )
    s.containers_fill(user=lab, lot=lot, volumes_ml=[Decimal(10)] * containers)
    s.lot_complete_manufacture(user=lab, lot=lot, manufactured_on=site_today(site))
    record_qc(lab, lot)
    s.lot_qc_conclude(user=lab, lot=lot)
    s.lot_release(user=qa(lot.site), lot=lot, password=PASSWORD)
    lot.refresh_from_db()
    return lot
