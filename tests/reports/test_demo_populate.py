"""The demo builder drafts and releases family reports through the services."""

from __future__ import annotations

import random

import pytest

from neuroregen.core.services import signature_verify, signatures_for
from neuroregen.reports.models import FamilyReport
from neuroregen.synthetic import instruments as synthetic_instruments
from neuroregen.synthetic import protocols as synthetic_protocols
from neuroregen.synthetic import reports as synthetic_reports
from neuroregen.synthetic.cohort import build_cohort


@pytest.mark.django_db
def test_populate_releases_signed_synthetic_reports():
    cohort = build_cohort(n_participants=12)
    synthetic_protocols.populate(cohort, random.Random(7))
    synthetic_instruments.populate(cohort, random.Random(11))
    counts = synthetic_reports.populate(cohort, random.Random(13))
    assert counts["released"] >= 1
    released = FamilyReport.objects.filter(status="released")
    assert released.count() == counts["released"]
    assert FamilyReport.objects.filter(status="draft").count() == counts["drafts"]
    for report in released:
        assert report.synthetic
        assert report.content["measures"]
        assert signature_verify(signatures_for(report).get())
