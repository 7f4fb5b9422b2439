"""The outlier rule's cohort, read from the database one score at a time."""

from __future__ import annotations

import pytest

from neuroregen.instruments import services
from neuroregen.instruments.cohort import CohortScores
from neuroregen.instruments.models import Instrument, Query
from tests.instruments.builders import participant_with_visits

pytestmark = pytest.mark.django_db


def _complete(user, visit, answers, missing=None):
    response = services.response_start(user=user, visit=visit, instrument="cgi_s")
    return services.response_save(
        user=user,
        response=response,
        answers=answers,
        missing=missing or {},
        complete=True,
        expected_version=response.row_version,
    )


def test_cohort_is_the_other_complete_values_and_flags_an_outlier(coordinator_a, site_a):
    _participant, visits = participant_with_visits(coordinator_a, site_a)
    ordered = sorted(visits.values(), key=lambda v: v.target_date)
    assert len(ordered) >= 12
    values = ["4", "4", "4", "5", "4", "5", "4", "4", "5", "4"]
    for visit, value in zip(ordered, values, strict=False):
        _complete(coordinator_a, visit, {"cgi_s": value})
    # A complete form whose score could not be computed is not part of the cohort.
    _complete(coordinator_a, ordered[10], {}, {"cgi_s": "UNK"})
    outlier = _complete(coordinator_a, ordered[11], {"cgi_s": "7"})

    cohort = CohortScores(Instrument.objects.get(code="cgi_s"), outlier.pk)
    assert sorted(cohort["cgi_s"]) == sorted(float(v) for v in values)
    assert list(cohort) == ["cgi_s"]
    assert Query.objects.filter(response=outlier, rule="outlier").count() == 1
    assert not Query.objects.filter(rule="outlier").exclude(response=outlier).exists()
