"""Identity graph, codes, lot state machine, QC and signed release."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.utils import timezone

from neuroregen.core import codes
from neuroregen.core.audit import stamp
from neuroregen.core.errors import InvalidTransition, NotPermitted, SignatureRejected
from neuroregen.core.models import ElectronicSignature
from neuroregen.core.roles import Role
from neuroregen.core.services import signature_verify, signatures_for
from neuroregen.products import choices as c
from neuroregen.products import labels, selectors
from neuroregen.products import services as s
from neuroregen.products.errors import IdentityMismatch, InvalidCode, QCIncomplete
from neuroregen.products.models import Lot, LotRelease, QCResult
from neuroregen.products.write_helpers import transition
from neuroregen.protocols.choices import ProductType
from tests.helpers import PASSWORD, make_user, site_a_today
from tests.products import builders as b

pytestmark = pytest.mark.django_db


@pytest.fixture
def lab_a(site_a):
    return b.lab(site_a, "lab-a")


@pytest.fixture
def child(site_a, coordinator_a):
    return b.participant(site_a, coordinator_a)


# --- chain-of-identity codes ------------------------------------------------------------------


def test_every_node_gets_a_valid_code_with_its_own_prefix(lab_a, child):
    lot = b.autologous_lot(lab_a, child, containers=1)
    container = lot.containers.get()
    nodes = [lot.source, lot.ipsc_line, lot, container]
    assert [n.code.split("-")[0] for n in nodes] == ["SM", "IL", "LT", "CT"]
    for node in nodes:
        assert codes.is_valid(node.code)
        assert child.study_code not in node.code


def _typos(code: str):
    prefix, body, check = code.split("-")
    for i, ch in enumerate(body):
        for other in codes.ALPHABET:
            if other != ch:
                yield f"{prefix}-{body[:i]}{other}{body[i + 1 :]}-{check}"
    for i in range(len(body) - 1):
        if body[i] != body[i + 1]:
            yield f"{prefix}-{body[:i]}{body[i + 1]}{body[i]}{body[i + 2 :]}-{check}"


def test_check_digits_catch_every_single_typo_and_neighbour_swap(lab_a, child):
    lot = b.autologous_lot(lab_a, child, containers=1)
    container = lot.containers.get()
    typos = list(_typos(container.code))
    assert len(typos) > 150
    for typo in typos:
        with pytest.raises(InvalidCode):
            selectors.resolve_code(user=lab_a, scanned=typo)


def test_label_qr_holds_only_the_code_and_scans_back(lab_a, child):
    lot = b.autologous_lot(lab_a, child, containers=1)
    container = lot.containers.get()
    svg = labels.qr_svg(container.code)
    assert svg.startswith("<svg")
    assert "path" in svg
    # The QR payload is exactly the code: what a keyboard-wedge scanner types back.
    import segno

    assert segno.make_qr(container.code, error="m").svg_inline(scale=4, border=2) == svg
    scanned = labels.decode_payload(f"  {container.code.lower()}\n")
    assert selectors.resolve_code(user=lab_a, scanned=scanned) == ("container", container)
    assert selectors.resolve_code(user=lab_a, scanned=lot.code)[1] == lot
    assert selectors.resolve_code(user=lab_a, scanned=child.study_code)[1] == child


def test_scan_of_other_site_code_is_not_found(lab_a, site_b, coordinator_b):
    from neuroregen.core.errors import NotFound

    lab_b = b.lab(site_b)
    other = b.autologous_lot(lab_b, b.participant(site_b, coordinator_b), containers=0)
    with pytest.raises(NotFound):
        selectors.resolve_code(user=lab_a, scanned=other.code)


# --- identity graph rules ---------------------------------------------------------------------


def test_autologous_lot_is_bound_to_its_participant_and_site(lab_a, child):
    lot = b.autologous_lot(lab_a, child, containers=0)
    assert lot.participant == child
    assert lot.site == child.site
    assert lot.source.participant == child


def test_allogeneic_product_cannot_be_made_from_a_childs_own_material(lab_a, child):
    b.spec(lab_a, ProductType.MSC_ALLOGENEIC)
    source = s.source_collect(
        user=lab_a, participant=child, kind=c.SourceKind.BLOOD_DRAW, collected_at=timezone.now()
    )
    before = Lot.objects.count()
    with pytest.raises(IdentityMismatch):
        s.lot_create(
            user=lab_a,
            source=source,
            product_type=ProductType.MSC_ALLOGENEIC,
            manufacture_started_on=site_a_today(),
            expires_at=timezone.now() + dt.timedelta(days=5),
            concentration=Decimal("1e7"),
            concentration_unit="cells_per_ml",
            volume_ml=Decimal(10),
            storage="ln2",
        )
    assert Lot.objects.count() == before


def test_ipsc_line_must_come_from_the_same_source(lab_a, child, site_a, coordinator_a):
    lot = b.autologous_lot(lab_a, child, containers=0)
    sibling = b.participant(site_a, coordinator_a)
    other_source = s.source_collect(
        user=lab_a, participant=sibling, kind="skin_biopsy", collected_at=timezone.now()
    )
    with pytest.raises(IdentityMismatch):
        s.lot_create(
            user=lab_a,
            source=other_source,
            ipsc_line=lot.ipsc_line,
            product_type=ProductType.IPSC_NEURONS,
            manufacture_started_on=site_a_today(),
            expires_at=timezone.now() + dt.timedelta(days=5),
            concentration=Decimal("1e7"),
            concentration_unit="cells_per_ml",
            volume_ml=Decimal(10),
            storage="ln2",
        )


def test_collection_before_consent_is_refused(lab_a, site_a, coordinator_a):
    child = b.participant(site_a, coordinator_a)
    with pytest.raises(Exception, match="before guardian consent"):
        s.source_collect(
            user=lab_a,
            participant=child,
            kind="skin_biopsy",
            collected_at=timezone.now() - dt.timedelta(days=3),
        )


def test_coordinator_cannot_make_lots(coordinator_a, child, lab_a):
    b.spec(lab_a)
    with pytest.raises(NotPermitted):
        s.source_collect(
            user=coordinator_a, participant=child, kind="skin_biopsy", collected_at=timezone.now()
        )


def test_containers_cannot_exceed_lot_volume(lab_a, child):
    lot = b.autologous_lot(lab_a, child, containers=3)  # 15 of 20 mL
    with pytest.raises(Exception, match="more than the lot"):
        s.containers_fill(user=lab_a, lot=lot, volumes_ml=[Decimal(6)])
    assert lot.containers.count() == 3


# --- the lot state machine --------------------------------------------------------------------

ALL = list(c.LotStatus.values)


def test_every_transition_is_legal_or_refused(lab_a, child):
    lot = b.autologous_lot(lab_a, child, containers=0, status="in_process")
    for old, new in itertools.product(ALL, ALL):
        lot.status = old
        stamp(lot, user=lab_a, reason="test set-up")
        lot.save()
        if new in c.LOT_TRANSITIONS[old]:
            transition(lot, new, user=lab_a, reason="test")
            lot.refresh_from_db()
            assert lot.status == new, (old, new)
        else:
            with pytest.raises(InvalidTransition):
                transition(lot, new, user=lab_a, reason="test")
            lot.refresh_from_db()
            assert lot.status == old, (old, new)


def test_terminal_states_and_release_path():
    assert c.LOT_TRANSITIONS[c.LotStatus.DESTROYED] == frozenset()
    assert c.LotStatus.RELEASED not in c.LOT_TRANSITIONS[c.LotStatus.QUARANTINE]
    assert c.LotStatus.RELEASED not in c.LOT_TRANSITIONS[c.LotStatus.QC_FAILED]
    assert c.LotStatus.RELEASED in c.LOT_TRANSITIONS[c.LotStatus.QC_PASSED]


def test_service_path_in_process_to_released(lab_a, child):
    lot = b.autologous_lot(lab_a, child, status="in_process")
    assert lot.status == "in_process"
    lot = s.lot_complete_manufacture(user=lab_a, lot=lot, manufactured_on=site_a_today())
    assert lot.status == "quarantine"
    b.record_qc(lab_a, lot)
    assert s.lot_qc_conclude(user=lab_a, lot=lot).status == "qc_passed"
    reviewer = b.qa(lot.site)
    release = s.lot_release(user=reviewer, lot=lot, password=PASSWORD)
    lot.refresh_from_db()
    assert lot.status == "released"
    signature = signatures_for(release).get()
    assert signature.signer == reviewer
    assert signature.meaning == "Released for clinical use"
    assert signature_verify(signature)
    assert {row["test"] for row in release.qc_summary} == {
        "sterility",
        "endotoxin",
        "viability",
        "purity",
    }


def test_dedicated_steps_cannot_be_skipped(lab_a, child):
    lot = b.autologous_lot(lab_a, child)
    with pytest.raises(InvalidTransition):
        s.lot_status_change(user=lab_a, lot=lot, to="released", reason="shortcut")
    s.lot_status_change(user=lab_a, lot=lot, to="destroyed", reason="dropped in transfer")
    lot.refresh_from_db()
    assert lot.status == "destroyed"
    with pytest.raises(InvalidTransition):
        s.lot_status_change(user=lab_a, lot=lot, to="expired", reason="again")


# --- QC and release ---------------------------------------------------------------------------


def test_out_of_spec_result_fails_qc_and_release_is_refused(lab_a, child):
    lot = b.autologous_lot(lab_a, child)
    b.record_qc(lab_a, lot, endotoxin={"value": Decimal("0.9")})
    result = QCResult.objects.get(lot=lot, item__test_code="endotoxin")
    assert result.in_spec is False
    s.deviation_record(
        user=lab_a,
        lot=lot,
        qc_result=result,
        classification="major",
        description="Endotoxin above limit",
        opened_on=site_a_today(),
    )
    with pytest.raises(QCIncomplete, match="Endotoxin"):
        s.lot_release(user=lab_a, lot=lot, password=PASSWORD)
    assert s.lot_qc_conclude(user=lab_a, lot=lot).status == "qc_failed"
    with pytest.raises(QCIncomplete):
        s.lot_release(user=lab_a, lot=lot, password=PASSWORD)
    assert not LotRelease.objects.exists()
    assert lot.deviations.get().qc_result == result


def test_release_refused_while_a_required_test_is_missing(lab_a, child):
    lot = b.autologous_lot(lab_a, child)
    b.record_qc(lab_a, lot, sterility=None)
    with pytest.raises(QCIncomplete, match="Sterility"):
        s.lot_release(user=lab_a, lot=lot, password=PASSWORD)
    with pytest.raises(QCIncomplete, match="Sterility"):
        s.lot_qc_conclude(user=lab_a, lot=lot)
    lot.refresh_from_db()
    assert lot.status == "quarantine"
    assert not ElectronicSignature.objects.exists()


def test_release_with_wrong_password_writes_nothing(lab_a, child):
    lot = b.autologous_lot(lab_a, child, status="qc_passed")
    version = lot.row_version
    with pytest.raises(SignatureRejected):
        s.lot_release(user=b.qa(lot.site), lot=lot, password="not-my-password")
    lot.refresh_from_db()
    assert lot.status == "qc_passed"
    assert lot.row_version == version
    assert not LotRelease.objects.exists()
    assert not ElectronicSignature.objects.exists()


def test_release_needs_release_capability(lab_a, child, site_a):
    lot = b.autologous_lot(lab_a, child, status="qc_passed")
    investigator = make_user(Role.INVESTIGATOR, site_a)
    with pytest.raises(NotPermitted):
        s.lot_release(user=investigator, lot=lot, password=PASSWORD)


def test_qc_results_only_in_quarantine_and_only_spec_tests(lab_a, child):
    lot = b.autologous_lot(lab_a, child, status="in_process")
    with pytest.raises(InvalidTransition):
        s.qc_result_record(
            user=lab_a, lot=lot, test_code="sterility", passed=True, tested_on=site_a_today()
        )
    lot = s.lot_complete_manufacture(user=lab_a, lot=lot, manufactured_on=site_a_today())
    with pytest.raises(Exception, match="not part of the lot's specification"):
        s.qc_result_record(
            user=lab_a, lot=lot, test_code="karyotype", passed=True, tested_on=site_a_today()
        )
    with pytest.raises(Exception, match="measured value"):
        s.qc_result_record(user=lab_a, lot=lot, test_code="viability", tested_on=site_a_today())
    assert not lot.qc_results.exists()


def test_specification_versions_are_frozen_per_lot(lab_a, child):
    lot = b.autologous_lot(lab_a, child, containers=0)
    v1 = lot.qc_specification
    draft = s.qc_specification_create(
        user=lab_a,
        product_type=ProductType.IPSC_NEURONS,
        version="2.0",
        items=[
            *b.NEURON_TESTS,
            {
                "test_code": "karyotype",
                "name": "Karyotype",
                "method": "G-banding",
                "criterion": "pass_fail",
            },
        ],
    )
    s.qc_specification_activate(user=lab_a, specification=draft, effective_from=site_a_today())
    v1.refresh_from_db()
    assert v1.status == "retired"
    lot.refresh_from_db()
    assert lot.qc_specification == v1  # the lot keeps the version it was made under
    later = b.autologous_lot(lab_a, child, containers=0)
    assert later.qc_specification.version == "2.0"
    assert "Karyotype" in selectors.lot_qc_verdict(later).missing


def test_release_refused_for_ineligible_donor(lab_a, site_a):
    b.spec(lab_a, ProductType.MSC_ALLOGENEIC)
    donor = s.donor_register(user=lab_a, site=site_a)
    source = s.source_collect(
        user=lab_a, donor=donor, kind="bone_marrow", collected_at=timezone.now()
    )
    lot = s.lot_create(
        user=lab_a,
        source=source,
        product_type=ProductType.MSC_ALLOGENEIC,
        manufacture_started_on=site_a_today(),
        expires_at=timezone.now() + dt.timedelta(days=60),
        concentration=Decimal("1e7"),
        concentration_unit="cells_per_ml",
        volume_ml=Decimal(50),
        storage="ln2",
    )
    s.lot_complete_manufacture(user=lab_a, lot=lot, manufactured_on=site_a_today())
    b.record_qc(lab_a, lot)
    s.lot_qc_conclude(user=lab_a, lot=lot)
    with pytest.raises(QCIncomplete, match="donor"):
        s.lot_release(user=lab_a, lot=lot, password=PASSWORD)
    s.donor_eligibility_determine(
        user=lab_a,
        donor=donor,
        eligibility="eligible",
        determined_on=site_a_today(),
        summary="IDT negative",
        reason="testing complete",
    )
    s.lot_release(user=b.qa(lot.site), lot=lot, password=PASSWORD)
    lot.refresh_from_db()
    assert lot.status == "released"
    assert lot.participant is None
