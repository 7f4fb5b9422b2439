"""The demo builder gives the cohort ATEC at baseline and follow-ups, CGI, and biomarkers."""

from __future__ import annotations

import random

import pytest

from neuroregen.biomarkers.models import Measurement
from neuroregen.instruments.models import Response
from neuroregen.synthetic import instruments as synthetic_instruments
from neuroregen.synthetic import protocols as synthetic_protocols
from neuroregen.synthetic.cohort import build_cohort


@pytest.mark.django_db
def test_populate_gives_plausible_outcomes_with_missing_data():
    cohort = build_cohort(n_participants=12)
    synthetic_protocols.populate(cohort, random.Random(7))
    counts = synthetic_instruments.populate(cohort, random.Random(11))
    assert counts["responses"] > 20
    assert counts["measurements"] > 5
    atec = Response.objects.filter(instrument__code="atec", status="complete")
    phases = set(atec.values_list("visit__phase", flat=True))
    assert "baseline" in phases
    assert phases & {"early", "mid", "late"}
    totals = [
        r.scores["atec_total"]["value"] for r in atec if r.scores["atec_total"]["value"] is not None
    ]
    assert totals
    assert all(0 <= t <= 179 for t in totals)
    assert 30 < sum(totals) / len(totals) < 130
    assert Response.objects.filter(instrument__code__in=["cgi_s", "cgi_i"]).exists()
    assert (
        Response.objects.filter(status="not_done").exclude(not_done_reason="").exists()
        or counts["not_done"] == 0
    )
    assert any(r.missing or r.scores["atec_total"]["status"] != "complete" for r in atec)
    flags = set(Measurement.objects.values_list("limit_flag", flat=True))
    assert "within" in flags
    assert set(Measurement.objects.values_list("unit", flat=True)) == {"pg/mL"}
    assert all(r.answered_on == r.visit.done_on for r in atec.select_related("visit"))
