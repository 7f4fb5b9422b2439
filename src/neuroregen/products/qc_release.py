"""QC and release of a lot: specifications, results, deviations, the end of quarantine and the
signed release (21 CFR 1271.265). Out-of-specification investigations and the independence of
the release are in ``products.qc``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from neuroregen.core.errors import InvalidTransition, ValidationFailed
from neuroregen.core.models import User
from neuroregen.core.permissions import require
from neuroregen.core.roles import Capability
from neuroregen.core.services import signature_create
from neuroregen.products import choices as c
from neuroregen.products import qc, validators
from neuroregen.products.errors import ProductRefused, QCIncomplete
from neuroregen.products.models import (
    Deviation,
    Lot,
    LotRelease,
    QCResult,
    QCSpecification,
    QCSpecItem,
)
from neuroregen.products.selectors import lot_qc_verdict
from neuroregen.products.write_helpers import locked, not_future, save, transition
from neuroregen.protocols.choices import ProductType

RELEASE_MEANING = "Released for clinical use"


_fail = ValidationFailed.raise_for


@transaction.atomic
def qc_specification_create(
    *,
    user: User,
    product_type: str,
    version: str,
    items: Sequence[dict[str, Any]],
    notes: str = "",
) -> QCSpecification:
    """A draft specification with its tests. Becomes binding on activation."""
    require(user, Capability.LAB_WRITE)
    if product_type not in ProductType.values:
        raise ValidationFailed(_("Unknown product type."), field="product_type")
    if QCSpecification.objects.filter(product_type=product_type, version=version).exists():
        raise ValidationFailed(_("This version already exists."), field="version")
    if not items:
        raise ValidationFailed(_("A specification needs at least one test."), field="items")
    for item in items:
        _fail(validators.spec_item_errors(item))
    if len({i["test_code"] for i in items}) != len(items):
        raise ValidationFailed(_("Each test appears once."), field="items")
    spec = QCSpecification(product_type=product_type, version=version, notes=notes)
    save(spec, user=user, reason="specification drafted")
    for position, item in enumerate(items):
        row = QCSpecItem(
            specification=spec,
            position=position,
            test_code=item["test_code"],
            name=item["name"],
            method=item["method"],
            criterion=item["criterion"],
            lower=item.get("lower"),
            upper=item.get("upper"),
            unit=item.get("unit", ""),
            required=item.get("required", True),
        )
        save(row, user=user, reason="specification drafted")
    return spec


@transaction.atomic
def qc_specification_activate(
    *, user: User, specification: QCSpecification, effective_from: dt.date
) -> QCSpecification:
    """Make a draft binding for new lots; the previous active version is retired, not changed."""
    require(user, Capability.LAB_WRITE)
    spec = QCSpecification.objects.select_for_update(of=("self",)).get(pk=specification.pk)
    if spec.status != c.SpecStatus.DRAFT:
        raise InvalidTransition(_("Only a draft specification can be activated."))
    for previous in QCSpecification.objects.filter(
        product_type=spec.product_type, status=c.SpecStatus.ACTIVE
    ):
        previous.status = c.SpecStatus.RETIRED
        save(previous, user=user, reason=f"superseded by v{spec.version}")
    spec.status = c.SpecStatus.ACTIVE
    spec.effective_from = effective_from
    save(spec, user=user, reason="activated")
    return spec


def active_specification(product_type: str) -> QCSpecification | None:
    return QCSpecification.objects.filter(
        product_type=product_type, status=c.SpecStatus.ACTIVE
    ).first()


@transaction.atomic
def qc_result_record(
    *,
    user: User,
    lot: Lot,
    test_code: str,
    tested_on: dt.date,
    value: Decimal | None = None,
    passed: bool | None = None,
    comment: str = "",
) -> QCResult:
    """Record a result while in quarantine. Results are never overwritten: a re-test is a new
    result, allowed only after the earlier out-of-specification results were investigated
    (see ``products.qc``)."""
    require(user, Capability.LAB_WRITE, lot.site)
    lot = locked(lot)
    if lot.status != c.LotStatus.QUARANTINE:
        raise InvalidTransition(_("QC results are recorded while the lot is in quarantine."))
    item = lot.qc_specification.items.filter(test_code=test_code).first()
    if item is None:
        raise ValidationFailed(
            _("This test is not part of the lot's specification."), field="test_code"
        )
    not_future(tested_on, "tested_on", lot)
    qc.retest_allowed(lot, item)
    if item.criterion == c.CriterionKind.PASS_FAIL:
        if passed is None:
            raise ValidationFailed(_("Say whether the test passed."), field="passed")
        value = None
    else:
        if value is None:
            raise ValidationFailed(_("Give the measured value."), field="value")
        passed = None
    result = QCResult(
        lot=lot,
        site=lot.site,
        item=item,
        value=value,
        passed=passed,
        tested_on=tested_on,
        comment=comment.strip(),
        recorded_by=user,
        in_spec=validators.criterion_met(
            item.criterion, lower=item.lower, upper=item.upper, value=value, passed=passed
        ),
    )
    save(result, user=user, reason="recorded")
    return result


@transaction.atomic
def deviation_record(
    *,
    user: User,
    lot: Lot,
    classification: str,
    description: str,
    opened_on: dt.date,
    qc_result: QCResult | None = None,
) -> Deviation:
    require(user, Capability.LAB_WRITE, lot.site)
    if qc_result is not None and qc_result.lot_id != lot.pk:
        raise ValidationFailed(_("The result belongs to another lot."), field="qc_result")
    if not description.strip():
        raise ValidationFailed(_("Describe the deviation."), field="description")
    not_future(opened_on, "opened_on", lot)
    deviation = Deviation(
        lot=lot,
        site=lot.site,
        qc_result=qc_result,
        classification=classification,
        description=description.strip(),
        opened_on=opened_on,
        recorded_by=user,
    )
    deviation.full_clean()
    save(deviation, user=user, reason="opened")
    return deviation


@transaction.atomic
def deviation_close(
    *, user: User, deviation: Deviation, closed_on: dt.date, disposition: str
) -> Deviation:
    require(user, Capability.LAB_WRITE, deviation.site)
    deviation = Deviation.objects.select_for_update(of=("self",)).get(pk=deviation.pk)
    if deviation.closed_on is not None:
        raise InvalidTransition(_("The deviation is already closed."))
    if not disposition.strip():
        raise ValidationFailed(_("State the disposition."), field="disposition")
    if closed_on < deviation.opened_on:
        raise ValidationFailed(_("Closure cannot precede opening."), field="closed_on")
    deviation.closed_on = closed_on
    deviation.disposition = disposition.strip()
    save(deviation, user=user, reason="closed")
    return deviation


def _qc_refusal(verdict: validators.QCVerdict) -> QCIncomplete:
    parts = []
    if verdict.missing:
        parts.append(_("missing: %s") % ", ".join(verdict.missing))
    if verdict.out_of_spec:
        parts.append(_("out of specification: %s") % ", ".join(verdict.out_of_spec))
    if verdict.pending_investigation:
        parts.append(
            _("OOS investigation not concluded: %s") % ", ".join(verdict.pending_investigation)
        )
    error = QCIncomplete(_("Release refused — %s.") % "; ".join(parts))
    error.params = {
        "missing": verdict.missing,
        "out_of_spec": verdict.out_of_spec,
        "pending_investigation": verdict.pending_investigation,
    }
    return error


@transaction.atomic
def lot_qc_conclude(*, user: User, lot: Lot) -> Lot:
    """End quarantine: QC passed when every required test is in specification, else failed.

    An out-of-specification result fails the lot unless its investigation invalidated it; while
    an investigation is open, QC cannot be concluded either way.
    """
    require(user, Capability.LAB_WRITE, lot.site)
    lot = locked(lot)
    if lot.status != c.LotStatus.QUARANTINE:
        raise InvalidTransition(_("QC is concluded for a lot in quarantine."))
    verdict = lot_qc_verdict(lot)
    if verdict.missing:
        raise QCIncomplete(_("QC cannot be concluded — missing: %s.") % ", ".join(verdict.missing))
    if verdict.pending_investigation and not verdict.out_of_spec:
        raise QCIncomplete(
            _("QC cannot be concluded — an OOS investigation is still open: %s.")
            % ", ".join(verdict.pending_investigation)
        )
    if verdict.passed:
        return transition(lot, c.LotStatus.QC_PASSED, user=user, reason="QC passed")
    return transition(
        lot, c.LotStatus.QC_FAILED, user=user, reason="QC failed: " + ", ".join(verdict.out_of_spec)
    )


@transaction.atomic
def lot_release(
    *, user: User, lot: Lot, password: str, meaning: str = RELEASE_MEANING
) -> LotRelease:
    """Signed release (21 CFR 1271.265, Part 11 e-signature).

    Refused while any required QC test is missing or out of specification, with an open
    critical deviation, for an ineligible or undetermined donor, after expiry, on a wrong
    password (nothing is written), and for anyone who entered or edited the lot's QC results
    (release is a second person's review).
    """
    require(user, Capability.RELEASE_LOT, lot.site)
    lot = locked(lot)
    verdict = lot_qc_verdict(lot)
    if not verdict.passed:
        raise _qc_refusal(verdict)
    if lot.status != c.LotStatus.QC_PASSED:
        raise InvalidTransition(
            _("Only a lot whose QC has passed can be released (this one is %(status)s).")
            % {"status": lot.get_status_display().lower()}
        )
    if lot.deviations.filter(
        classification=c.DeviationClass.CRITICAL, closed_on__isnull=True
    ).exists():
        raise QCIncomplete(_("Release refused — a critical deviation is still open."))
    donor = lot.source.donor
    if donor is not None and donor.eligibility != c.DonorEligibility.ELIGIBLE:
        raise QCIncomplete(_("Release refused — the donor has not been determined eligible."))
    if lot.is_expired():
        raise ProductRefused(_("Release refused — the lot has expired."))
    qc.release_independence(user, lot)
    release = LotRelease(
        lot=lot,
        site=lot.site,
        released_by=user,
        meaning=(meaning or "").strip(),
        qc_summary=verdict.summary(),
    )
    save(release, user=user, reason="released")
    signature_create(user=user, password=password, meaning=meaning, record=release)
    transition(lot, c.LotStatus.RELEASED, user=user, reason=f"released: {meaning}")
    return release
