"""The demo builder: products for the synthetic cohort, with the required edge cases."""

from __future__ import annotations

import random

import pytest

from neuroregen.products.models import Administration, CustodyEvent, Lot
from neuroregen.synthetic import products, protocols
from neuroregen.synthetic.cohort import build_cohort


@pytest.mark.django_db
def test_populate_makes_lots_administrations_and_edge_cases():
    cohort = build_cohort(n_participants=12)
    protocols.populate(cohort, random.Random(7))
    counts = products.populate(cohort, random.Random(11))

    assert counts["administrations"] >= 3
    assert Lot.objects.filter(participant__isnull=False).exists()
    assert Lot.objects.filter(participant__isnull=True).exists()
    assert Lot.objects.filter(status="qc_failed").count() == 1
    assert Lot.objects.filter(status="recalled").count() == 1
    assert CustodyEvent.objects.filter(is_excursion=True, assessment__isnull=True).count() == 1
    for administration in Administration.objects.select_related("participant"):
        assert administration.scanned_participant_code == administration.participant.study_code
        assert administration.lot.release  # every dose came from a signed, released lot
    first = Administration.objects.filter(is_first=True).select_related("participant").first()
    assert first.participant.assignments.exclude(day_zero=None).exists()
