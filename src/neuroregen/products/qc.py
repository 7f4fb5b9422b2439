"""Out-of-specification handling and the independence of release (GMP, 21 CFR 211.192).

- Every QC result is kept; a re-test is a new result. A test with an out-of-specification
  result may be re-tested only once an investigation of that result has been opened
  (:func:`retest_allowed`), and never after an investigation let the result stand.
- :func:`oos_investigation_open` records the investigation (reference, initial assessment);
  :func:`oos_investigation_conclude` records the root cause and conclusion under the
  investigator's e-signature. Only "laboratory error confirmed" invalidates the result.
- :func:`release_independence` refuses a release signed by anyone who entered or edited one
  of the lot's QC results: release is a second person's review.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from neuroregen.core.errors import InvalidTransition, NotPermitted, ValidationFailed
from neuroregen.core.models import User
from neuroregen.core.permissions import require
from neuroregen.core.roles import Capability
from neuroregen.core.services import signature_create
from neuroregen.core.time import site_today
from neuroregen.products import choices as c
from neuroregen.products.models import Lot, OOSInvestigation, QCResult, QCSpecItem
from neuroregen.products.write_helpers import save

CONCLUSION_MEANING = "OOS investigation concluded"


class ReleaseNotIndependent(NotPermitted):
    code = "release_not_independent"


def _when(result: QCResult) -> str:
    return f"{result.display_value()}, {result.tested_on:%Y-%m-%d}"


def retest_allowed(lot: Lot, item: QCSpecItem) -> None:
    """Refuse a new result for a test whose out-of-specification results are not investigated."""
    earlier = (
        QCResult.objects.filter(lot=lot, item=item, in_spec=False)
        .select_related("investigation", "item")
        .order_by("recorded_at", "pk")
    )
    for result in earlier:
        investigation = getattr(result, "investigation", None)
        if investigation is None:
            raise ValidationFailed(
                _(
                    "%(test)s has an out-of-specification result (%(result)s) that has not been "
                    "investigated. Open an OOS investigation of that result before re-testing."
                )
                % {"test": item.name, "result": _when(result)},
                field="test_code",
            )
        if not investigation.is_open and not investigation.invalidates_result:
            raise ValidationFailed(
                _(
                    "%(test)s: investigation %(reference)s found no laboratory error, so the "
                    "out-of-specification result (%(result)s) stands and the lot fails QC. A "
                    "re-test cannot replace it."
                )
                % {
                    "test": item.name,
                    "reference": investigation.reference,
                    "result": _when(result),
                },
                field="test_code",
            )


@transaction.atomic
def oos_investigation_open(
    *, user: User, result: QCResult, reference: str, opened_on: dt.date, description: str
) -> OOSInvestigation:
    """Open the investigation of an out-of-specification result (one per result)."""
    require(user, Capability.LAB_WRITE, result.lot.site)
    errors: dict[str, str] = {}
    reference = (reference or "").strip()
    if result.in_spec:
        raise ValidationFailed(_("Only an out-of-specification result is investigated."))
    if OOSInvestigation.objects.filter(qc_result=result).exists():
        raise InvalidTransition(_("This result is already under investigation."))
    if not reference:
        errors["reference"] = _("Give the investigation's reference number.")
    elif OOSInvestigation.objects.filter(reference__iexact=reference).exists():
        errors["reference"] = _("Another investigation already has this reference.")
    if not (description or "").strip():
        errors["description"] = _("Describe the initial assessment.")
    if opened_on > site_today(result.lot):
        errors["opened_on"] = _("This date or time is in the future.")
    elif opened_on < result.tested_on:
        errors["opened_on"] = _("The investigation cannot start before the test.")
    ValidationFailed.raise_for(errors)
    investigation = OOSInvestigation(
        lot=result.lot,
        site=result.lot.site,
        qc_result=result,
        reference=reference,
        opened_on=opened_on,
        opened_by=user,
        description=description.strip(),
    )
    save(investigation, user=user, reason="OOS investigation opened")
    return investigation


@transaction.atomic
def oos_investigation_conclude(
    *,
    user: User,
    investigation: OOSInvestigation,
    conclusion: str,
    root_cause: str,
    concluded_on: dt.date,
    password: str,
) -> OOSInvestigation:
    """Conclude an investigation under e-signature; a wrong password writes nothing."""
    require(user, Capability.LAB_WRITE, investigation.site)
    investigation = OOSInvestigation.objects.select_for_update(of=("self",)).get(
        pk=investigation.pk
    )
    if not investigation.is_open:
        raise InvalidTransition(_("This investigation is already concluded."))
    # Concluding is allowed after the lot's QC was concluded too: an investigation is completed
    # even for a rejected lot, and a late "laboratory error" never reverses a failed lot.
    errors: dict[str, str] = {}
    if conclusion not in c.OOSConclusion.values:
        errors["conclusion"] = _("Choose the conclusion.")
    if not (root_cause or "").strip():
        errors["root_cause"] = _("State the root cause (or that none was found).")
    if concluded_on > site_today(investigation):
        errors["concluded_on"] = _("This date or time is in the future.")
    elif concluded_on < investigation.opened_on:
        errors["concluded_on"] = _("Closure cannot precede opening.")
    ValidationFailed.raise_for(errors)
    investigation.conclusion = conclusion
    investigation.root_cause = root_cause.strip()
    investigation.concluded_on = concluded_on
    investigation.concluded_by = user
    label = c.OOSConclusion(conclusion).label
    save(investigation, user=user, reason=f"concluded: {label}")
    signature_create(
        user=user,
        password=password,
        meaning=f"{CONCLUSION_MEANING}: {label}",
        record=investigation,
    )
    return investigation


def qc_contributors(lot: Lot) -> set[int]:
    """Everyone who entered or edited a QC result of the lot (from the audit trail too)."""
    entered = set(QCResult.objects.filter(lot=lot).values_list("recorded_by_id", flat=True))
    edited = set(
        QCResult.history.filter(lot_id=lot.pk)
        .exclude(history_user_id=None)
        .values_list("history_user_id", flat=True)
    )
    return entered | edited


def release_independence(user: User, lot: Lot) -> None:
    """Release is a second person's review: refuse anyone who entered or edited QC results."""
    if user.pk in qc_contributors(lot):
        raise ReleaseNotIndependent(
            _(
                "Release refused — you entered or edited QC results of this lot. Release must "
                "be signed by a second person who did not record them."
            )
        )
