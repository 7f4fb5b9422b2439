"""Biomarker signal rules (pure and wired to recorded measurements) and the AESI catalogue."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from neuroregen.core.errors import InvalidTransition, NotPermitted, ValidationFailed
from neuroregen.core.roles import Role
from neuroregen.safety import services as s
from neuroregen.safety.aesi import aesi_match
from neuroregen.safety.models import SafetyReviewTask
from neuroregen.safety.signals import SignalSpec, signal_fires
from tests.helpers import make_user
from tests.safety.builders import with_day_zero

IL6 = SignalSpec("IL-6", "gt", Decimal("7"), "pg/mL", within_days=14)


@pytest.mark.parametrize(
    ("value", "unit", "days", "fires"),
    [
        ("12.5", "pg/mL", 3, True),
        ("7", "pg/mL", 3, False),  # strictly above
        ("12.5", "pg/mL", 0, True),  # day of dosing is inside the window
        ("12.5", "pg/mL", 14, True),
        ("12.5", "pg/mL", 15, False),
        ("12.5", "pg/mL", None, False),  # never dosed: the window cannot hold
        ("12.5", "ng/mL", 3, False),  # another unit is never compared
    ],
)
def test_signal_rule_over_plain_values(value, unit, days, fires):
    assert (
        signal_fires(
            IL6, analyte="il6", value=Decimal(value), unit=unit, days_since_administration=days
        )
        is fires
    )


@pytest.mark.parametrize(
    ("term", "route", "days", "category"),
    [
        ("Febrile seizure", "", None, "seizure"),
        ("Generalised tonic-clonic convulsion", "", None, "seizure"),
        ("Pyrexia", "", None, "fever"),
        ("Infusion-related reaction", "iv", 0, "infusion_reaction"),
        ("New anti-HLA antibodies (DSA)", "", None, "anti_hla"),
        ("Teratoma at injection site", "", None, "ectopic_tissue"),
        ("Loss of words", "", None, "behavioural_regression"),
        ("Post-lumbar puncture headache", "it", 2, "post_intrathecal"),
        ("Vomiting", "it", 8, None),  # outside the 7-day window
        ("Headache", "iv", 1, None),  # not intrathecal
        ("Product-derived infection", "", None, "product_infection"),
        ("Ear infection", "", None, None),
    ],
)
def test_aesi_catalogue(term, route, days, category):
    found = aesi_match(term, route=route, days_since_administration=days)
    assert (found.value if found else None) == category


@pytest.mark.django_db
def test_recorded_il6_opens_one_review_within_window(site_a, coordinator_a, investigator_a):
    from neuroregen.biomarkers import services as biomarker_services

    admin = make_user(Role.ADMINISTRATOR, None)
    with pytest.raises(NotPermitted):
        s.signal_rule_create(
            user=coordinator_a,
            code="x",
            name="x",
            analyte="il6",
            comparison="gt",
            threshold="7",
            unit="pg/mL",
        )
    with pytest.raises(ValidationFailed, match="comparison"):
        s.signal_rule_create(
            user=admin,
            code="x",
            name="x",
            analyte="il6",
            comparison="~",
            threshold="7",
            unit="pg/mL",
        )
    s.signal_rule_create(
        user=admin,
        code="il6-early",
        name="IL-6 early",
        analyte="IL-6",
        comparison="gt",
        threshold="7",
        unit="pg/mL",
        within_days=14,
    )
    child = with_day_zero(coordinator_a, site_a, day_zero_days_ago=5)
    lab = make_user(Role.LAB, site_a)

    def measure(days_ago: int, value: str):
        return biomarker_services.measurement_record(
            user=lab,
            participant=child,
            data={
                "analyte": "il6",
                "value": value,
                "unit": "ng/mL",
                "matrix": "plasma",
                "assay": "ELISA (high-sensitivity)",
                "collected_at": timezone.now() - dt.timedelta(days=days_ago),
            },
        )

    high = measure(1, "0.015")  # 15 pg/mL, 4 days after day 0
    low = measure(1, "0.002")  # 2 pg/mL
    # Recording the value evaluated the rules already (the biomarkers service calls the hook).
    tasks = list(SafetyReviewTask.objects.all())
    assert len(tasks) == 1
    task = tasks[0]
    assert task.value == Decimal("15")
    assert task.days_since_administration == 4
    assert s.biomarker_signals_for_measurement(user=lab, measurement=high) == []  # once only
    assert s.biomarker_signals_for_measurement(user=lab, measurement=low) == []
    assert s.biomarker_signal_sweep(user=admin) == []  # already evaluated
    with pytest.raises(ValidationFailed, match="Name the adverse event"):
        s.review_task_close(user=investigator_a, task=task, outcome="ae_recorded")
    s.review_task_close(user=investigator_a, task=task, outcome="no_action", note="transient")
    with pytest.raises(InvalidTransition):
        s.review_task_close(user=investigator_a, task=task, outcome="no_action")
    assert SafetyReviewTask.objects.count() == 1


def test_an_error_in_the_signal_review_rolls_the_measurement_back(
    monkeypatch, site_a, coordinator_a
):
    """Safety evaluates a stored value inside the biomarkers transaction: its error propagates
    to the caller and the measurement is not kept (as when biomarkers called safety directly)."""
    from neuroregen.biomarkers import services as biomarker_services
    from neuroregen.biomarkers.models import Measurement

    def broken(**kwargs):
        raise RuntimeError("signal evaluation failed")

    monkeypatch.setattr(s, "biomarker_signals_for_measurement", broken)
    child = with_day_zero(coordinator_a, site_a, day_zero_days_ago=5)
    with pytest.raises(RuntimeError, match="signal evaluation failed"):
        biomarker_services.measurement_record(
            user=make_user(Role.LAB, site_a),
            participant=child,
            data={
                "analyte": "il6",
                "value": "0.015",
                "unit": "ng/mL",
                "matrix": "plasma",
                "assay": "ELISA (high-sensitivity)",
                "collected_at": timezone.now() - dt.timedelta(days=1),
            },
        )
    assert not Measurement.objects.filter(participant=child).exists()
