"""Biomarker CSV import: a huge field is a specific row error, never a server error."""

from __future__ import annotations

import pytest
from django.urls import reverse

from neuroregen.biomarkers import services
from neuroregen.biomarkers.models import Measurement
from tests.biomarkers.test_services import _csv, _row, lab_a
from tests.instruments.builders import participant_with_visits
from tests.security.battery import client_for

pytestmark = pytest.mark.django_db
__all__ = ["lab_a"]  # fixture


@pytest.fixture
def child(site_a, coordinator_a):
    participant, _visits = participant_with_visits(coordinator_a, site_a)
    return participant


def test_field_over_the_csv_limit_is_a_row_error(lab_a, child):
    rows = [_row(child), _row(child, provenance="p" * 140_000), _row(child)]
    with pytest.raises(services.ImportRejected) as caught:
        services.measurements_import(user=lab_a, text=_csv(rows))
    problems = caught.value.problems
    assert [(line, column) for line, column, _m in problems] == [(3, "")]
    assert "131072" in problems[0][2].replace(" ", "").replace(",", "")
    assert not Measurement.objects.exists()


def test_long_text_under_the_csv_limit_is_named_by_column(lab_a, child):
    rows = [_row(child, kit="k" * 100_000, provenance="q" * 5_000)]
    with pytest.raises(services.ImportRejected) as caught:
        services.measurements_import(user=lab_a, text=_csv(rows))
    columns = {column for line, column, _m in caught.value.problems if line == 2}
    assert {"kit", "provenance"} <= columns
    assert not Measurement.objects.exists()


def test_huge_field_uploaded_on_the_page_is_listed_not_a_500(lab_a, child, tmp_path):
    path = tmp_path / "results.csv"
    path.write_text(_csv([_row(child, assay="a" * 200_000)]), encoding="utf-8")
    client = client_for(lab_a)
    with path.open("rb") as upload:
        response = client.post(reverse("biomarker_import"), {"file": upload})
    assert response.status_code == 200
    assert "131" in response.content.decode()
    assert not Measurement.objects.exists()
