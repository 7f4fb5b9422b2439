"""Events carry the administration, lot and product they follow; reactions open events."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from neuroregen.products.models import Administration
from neuroregen.safety.models import AdverseEvent
from tests.helpers import site_a_today
from tests.safety.builders import administered, record

pytestmark = pytest.mark.django_db


def test_event_stores_most_recent_administration_lot_and_product(site_a, coordinator_a):
    when = timezone.now() - dt.timedelta(days=5)
    participant, administration = administered(coordinator_a, site_a, when=when)
    event = record(
        coordinator_a,
        participant,
        term="Headache",
        soc="nervous",
        onset_date=site_a_today() - dt.timedelta(days=2),
    )
    assert event.administration_code == administration.code
    assert event.lot_code == administration.lot.code
    assert event.product_type == "ipsc_neurons"
    assert event.route == "it"
    assert event.dose_per_kg == administration.dose_per_kg
    assert event.days_since_administration == 3
    assert event.phase == "early"
    assert event.aesi_category == "post_intrathecal"


def test_immediate_reaction_opens_an_adverse_event_with_the_administration(site_a, coordinator_a):
    participant, administration = administered(
        coordinator_a,
        site_a,
        reaction="infusion",
        reaction_description="flushing and tachycardia 10 minutes in",
    )
    event = AdverseEvent.objects.get(participant=participant)
    assert event.term == "Infusion reaction"
    assert event.aesi_category == "infusion_reaction"
    assert event.administration_code == administration.code
    assert event.days_since_administration == 0
    assert event.description == "flushing and tachycardia 10 minutes in"
    assert Administration.objects.filter(participant=participant).count() == 1
