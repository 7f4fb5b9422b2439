"""The laboratory's "not in the future" check uses the lot's or donor's SITE date."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from neuroregen.core.errors import ValidationFailed
from neuroregen.core.services import site_create
from neuroregen.products import services as s
from tests.products import builders as b

KYIV_AFTER_MIDNIGHT = dt.datetime(2026, 3, 1, 22, 30, tzinfo=dt.UTC)  # 00:30, 2 March in Kyiv
HONOLULU_AFTERNOON = dt.datetime(2026, 3, 2, 0, 30, tzinfo=dt.UTC)  # 14:30, 1 March there
UTC_1_MARCH = dt.date(2026, 3, 1)
UTC_2_MARCH = dt.date(2026, 3, 2)


@pytest.fixture
def at(monkeypatch):
    def set_to(moment: dt.datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return set_to


def _donor(lab, site, on):
    return s.donor_register(
        user=lab, site=site, eligibility="eligible", determined_on=on, summary="IDT negative"
    )


@pytest.mark.django_db
def test_kyiv_lab_may_date_work_today_in_kyiv(at, site_a, coordinator_a):
    at(KYIV_AFTER_MIDNIGHT)
    lab = b.lab(site_a)
    assert _donor(lab, site_a, UTC_2_MARCH).eligibility_determined_on == UTC_2_MARCH
    lot = b.autologous_lot(lab, b.participant(site_a, coordinator_a), status="qc_passed")
    assert lot.manufactured_on == UTC_2_MARCH
    assert {r.tested_on for r in lot.qc_results.all()} == {UTC_2_MARCH}


@pytest.mark.django_db
def test_honolulu_lab_cannot_date_work_on_its_tomorrow(at):
    honolulu = site_create(
        code="SITE-HNL", name="Site H", country="US", time_zone="Pacific/Honolulu"
    )
    at(HONOLULU_AFTERNOON)
    lab = b.lab(honolulu)
    with pytest.raises(ValidationFailed, match="future") as error:
        _donor(lab, honolulu, UTC_2_MARCH)
    assert error.value.field == "eligibility_determined_on"
    assert _donor(lab, honolulu, UTC_1_MARCH).eligibility_determined_on == UTC_1_MARCH
