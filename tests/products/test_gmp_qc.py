"""GMP handling of out-of-specification QC results and the independence of release.

Reproduces the report: viability 50 % (out of specification) then a 92 % re-test gave "QC
passed", the release page showed only the latest result, and the person who entered the QC
results signed the release.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.translation import override

from neuroregen.core.errors import SignatureRejected, ValidationFailed
from neuroregen.core.services import signature_verify, signatures_for
from neuroregen.core.time import site_today
from neuroregen.products import selectors
from neuroregen.products import services as s
from neuroregen.products.errors import QCIncomplete
from neuroregen.products.models import LotRelease, OOSInvestigation, QCResult
from neuroregen.products.qc import ReleaseNotIndependent
from tests.helpers import PASSWORD, site_a_today
from tests.products import builders as b
from tests.security.battery import SiteIsolationBattery, client_for


@pytest.fixture
def lab_a(site_a):
    return b.lab(site_a, "lab-a")


@pytest.fixture
def child(site_a, coordinator_a):
    return b.participant(site_a, coordinator_a)


def _viability(lab, lot, value, comment=""):
    return s.qc_result_record(
        user=lab,
        lot=lot,
        test_code="viability",
        value=Decimal(value),
        tested_on=site_today(lot),
        comment=comment,
    )


def _oos_lot(lab, child):
    lot = b.autologous_lot(lab, child)
    b.record_qc(lab, lot, viability={"value": Decimal(50)})
    return lot, QCResult.objects.get(lot=lot, item__test_code="viability")


def _open(lab, result, reference="OOS-2026-014"):
    return s.oos_investigation_open(
        user=lab,
        result=result,
        reference=reference,
        opened_on=site_today(result.lot),
        description="Checked haemocytometer count and calculation; sample re-read",
    )


def _conclude(lab, investigation, conclusion, password=PASSWORD):
    return s.oos_investigation_conclude(
        user=lab,
        investigation=investigation,
        conclusion=conclusion,
        root_cause="Trypan blue lot past expiry used for the first count",
        concluded_on=site_today(investigation),
        password=password,
    )


@pytest.mark.django_db
def test_a_retest_without_an_investigation_is_refused(lab_a, child):
    lot, _result = _oos_lot(lab_a, child)
    with pytest.raises(ValidationFailed, match="not been investigated") as error:
        _viability(lab_a, lot, 92, "re-test")
    assert error.value.field == "test_code"
    assert "50 %" in error.value.message
    assert lot.qc_results.filter(item__test_code="viability").count() == 1
    # The out-of-spec result stands: QC fails, it never passes.
    assert s.lot_qc_conclude(user=lab_a, lot=lot).status == "qc_failed"


@pytest.mark.django_db
def test_lab_error_confirmed_by_a_signed_investigation_lets_the_retest_count(lab_a, child):
    lot, result = _oos_lot(lab_a, child)
    investigation = _open(lab_a, result)
    _viability(lab_a, lot, 92, "re-test under OOS-2026-014")
    verdict = selectors.lot_qc_verdict(lot)
    assert verdict.pending_investigation == ["Viability"]
    assert not verdict.passed
    with pytest.raises(QCIncomplete, match="investigation is still open"):
        s.lot_qc_conclude(user=lab_a, lot=lot)
    with pytest.raises(SignatureRejected):
        _conclude(lab_a, investigation, "lab_error", password="wrong")
    investigation.refresh_from_db()
    assert investigation.is_open
    _conclude(lab_a, investigation, "lab_error")
    investigation.refresh_from_db()
    signature = signatures_for(investigation).get()
    assert signature.signer == lab_a
    assert signature_verify(signature)
    assert investigation.history.first().history_change_reason.startswith("concluded")
    assert selectors.lot_qc_verdict(lot).passed
    assert s.lot_qc_conclude(user=lab_a, lot=lot).status == "qc_passed"
    # Both results are kept.
    assert [r.value for r in lot.qc_results.filter(item__test_code="viability")] == [
        Decimal(50),
        Decimal(92),
    ]


@pytest.mark.django_db
def test_an_oos_not_invalidated_by_the_investigation_fails_the_lot(lab_a, child):
    lot, result = _oos_lot(lab_a, child)
    investigation = _open(lab_a, result)
    _viability(lab_a, lot, 92, "re-test during investigation")
    _conclude(lab_a, investigation, "confirmed")
    verdict = selectors.lot_qc_verdict(lot)
    assert verdict.out_of_spec == ["Viability"]
    assert not verdict.passed
    with pytest.raises(ValidationFailed, match="stands"):
        _viability(lab_a, lot, 95, "another re-test")
    assert s.lot_qc_conclude(user=lab_a, lot=lot).status == "qc_failed"
    with pytest.raises(QCIncomplete):
        s.lot_release(user=b.qa(lot.site), lot=lot, password=PASSWORD)


@pytest.mark.django_db
def test_an_investigation_finished_after_the_lot_failed_never_reverses_it(lab_a, child):
    lot, result = _oos_lot(lab_a, child)
    assert s.lot_qc_conclude(user=lab_a, lot=lot).status == "qc_failed"
    _conclude(lab_a, _open(lab_a, result), "lab_error")
    lot.refresh_from_db()
    assert lot.status == "qc_failed"
    with pytest.raises(QCIncomplete):
        s.lot_release(user=b.qa(lot.site), lot=lot, password=PASSWORD)


@pytest.mark.django_db
def test_an_investigation_needs_a_unique_reference_and_an_assessment(lab_a, child):
    lot, result = _oos_lot(lab_a, child)
    with pytest.raises(ValidationFailed) as error:
        s.oos_investigation_open(
            user=lab_a, result=result, reference=" ", opened_on=site_a_today(), description=""
        )
    assert set(error.value.errors) == {"reference", "description"}
    _open(lab_a, result)
    in_spec = QCResult.objects.get(lot=lot, item__test_code="purity")
    with pytest.raises(ValidationFailed, match="Only an out-of-specification"):
        _open(lab_a, in_spec, reference="OOS-2026-015")
    other_lot, other = _oos_lot(lab_a, b.participant(lot.site))
    with pytest.raises(ValidationFailed) as duplicate:
        _open(lab_a, other, reference="oos-2026-014")
    assert duplicate.value.field == "reference"
    assert not OOSInvestigation.objects.filter(lot=other_lot).exists()


@pytest.mark.django_db
def test_whoever_entered_qc_results_cannot_sign_the_release(lab_a, child):
    lot = b.autologous_lot(lab_a, child, status="qc_passed")
    with pytest.raises(ReleaseNotIndependent, match="second person"):
        s.lot_release(user=lab_a, lot=lot, password=PASSWORD)
    assert not LotRelease.objects.exists()
    release = s.lot_release(user=b.qa(lot.site), lot=lot, password=PASSWORD)
    assert release.released_by != lab_a


@pytest.mark.django_db
def test_whoever_edited_a_qc_result_cannot_sign_the_release(lab_a, child):
    lot = b.autologous_lot(lab_a, child, status="qc_passed")
    reviewer = b.qa(lot.site)
    # An edit of a result (possible only outside the services) still shows in the audit trail.
    result = lot.qc_results.first()
    QCResult.history.filter(id=result.pk).update(history_user=reviewer)
    with pytest.raises(ReleaseNotIndependent):
        s.lot_release(user=reviewer, lot=lot, password=PASSWORD)


@pytest.mark.django_db
def test_release_page_shows_every_result_with_its_investigation(lab_a, child):
    lot, result = _oos_lot(lab_a, child)
    s.deviation_record(
        user=lab_a,
        lot=lot,
        qc_result=result,
        classification="major",
        description="Viability below specification",
        opened_on=site_a_today(),
    )
    investigation = _open(lab_a, result)
    _viability(lab_a, lot, 92, "re-test under OOS-2026-014")
    _conclude(lab_a, investigation, "lab_error")
    s.lot_qc_conclude(user=lab_a, lot=lot)
    reviewer = b.qa(lot.site)
    url = reverse("products:lot_release", args=[lot.code])
    page = client_for(reviewer).get(url).content.decode()
    history = page[page.index('data-testid="qc-history"') :]
    assert "50 %" in history
    assert "92 %" in history
    assert 'data-oos="invalidated"' in history
    assert "OOS-2026-014" in history
    assert "Trypan blue lot past expiry" in history
    assert "Viability below specification" in history
    # The person who entered the results is told before trying to sign.
    own = client_for(lab_a).get(url).content.decode()
    assert 'data-testid="not-independent"' in own
    refused = client_for(lab_a).post(url, {"password": PASSWORD, "meaning": "Released"})
    assert "second person" in refused.content.decode()
    for language in ("ru", "uk"):
        with override(language):
            translated = client_for(reviewer).get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert translated.status_code == 200
        assert "OOS-2026-014" in translated.content.decode()


@pytest.mark.django_db
def test_oos_investigation_pages_open_and_conclude(lab_a, child):
    lot, result = _oos_lot(lab_a, child)
    client = client_for(lab_a)
    detail = client.get(reverse("products:lot_detail", args=[lot.code])).content.decode()
    open_url = reverse("products:oos_open", args=[result.pk])
    assert open_url in detail
    empty = client.post(open_url, {"reference": "", "description": "", "opened_on": ""})
    assert empty.status_code == 422
    body = empty.content.decode()
    for field in ("reference", "description", "opened_on"):
        assert f'data-field-error="{field}"' in body
    tomorrow = site_a_today() + dt.timedelta(days=1)
    future = client.post(
        open_url, {"reference": "OOS-1", "description": "x", "opened_on": tomorrow.isoformat()}
    )
    assert future.status_code == 422
    assert 'data-field-error="opened_on"' in future.content.decode()
    opened = client.post(
        open_url,
        {
            "reference": "OOS-2026-020",
            "description": "Calculation checked",
            "opened_on": site_a_today().isoformat(),
        },
    )
    assert opened.status_code == 302
    investigation = OOSInvestigation.objects.get()
    conclude_url = reverse("products:oos_conclude", args=[investigation.pk])
    wrong = client.post(
        conclude_url,
        {
            "conclusion": "lab_error",
            "root_cause": "Pipette out of calibration",
            "concluded_on": site_a_today().isoformat(),
            "password": "wrong",
        },
    )
    assert wrong.status_code == 422
    assert "password is not correct" in wrong.content.decode()
    done = client.post(
        conclude_url,
        {
            "conclusion": "lab_error",
            "root_cause": "Pipette out of calibration",
            "concluded_on": site_a_today().isoformat(),
            "password": PASSWORD,
        },
    )
    assert done.status_code == 302
    investigation.refresh_from_db()
    assert investigation.invalidates_result


class TestOOSInvestigationIsolation(SiteIsolationBattery):
    """An investigation is seen with its lot, and opened or concluded only at the lot's site."""

    list_urls = ()

    def make_object(self, user, site):
        lab = b.lab(site)
        lot = b.autologous_lot(lab, b.participant(site, user))
        b.record_qc(lab, lot, viability={"value": Decimal(40)})
        result = QCResult.objects.get(lot=lot, item__test_code="viability")
        return _open(lab, result, reference=f"OOS-{site.code}-{lot.pk}")

    def marker(self, obj):
        return obj.reference

    def participant_of(self, obj):
        return obj.lot.participant

    def read_urls(self, obj):
        return [reverse("products:lot_detail", args=[obj.lot.code])]

    def write_requests(self, obj):
        today = site_today(obj).isoformat()
        return [
            (
                reverse("products:oos_conclude", args=[obj.pk]),
                {
                    "conclusion": "lab_error",
                    "root_cause": "attack",
                    "concluded_on": today,
                    "password": PASSWORD,
                },
            ),
            (
                reverse("products:oos_open", args=[obj.qc_result_id]),
                {"reference": "OOS-X", "description": "attack", "opened_on": today},
            ),
        ]
