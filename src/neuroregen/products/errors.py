"""Coded errors of the products app (stable codes; mapped to HTTP by core.middleware)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from neuroregen.core.errors import Conflict, DomainError, ValidationFailed


class QCIncomplete(ValidationFailed):
    code = "qc_incomplete"
    default_message = _("Release refused: required QC tests are missing or out of specification.")


class ProductRefused(DomainError):
    """The product may not be given now (status, expiry, excursion, arm, site)."""

    code = "product_refused"
    status = 409
    default_message = _("This product may not be administered.")


class IdentityMismatch(ProductRefused):
    code = "identity_mismatch"
    default_message = _("Identity check failed: the product does not belong to this participant.")


class DoseOutOfRange(ValidationFailed):
    code = "dose_out_of_bounds"
    default_message = _("The dose lies outside the arm's dose rule.")


class InvalidCode(ValidationFailed):
    code = "invalid_code"
    default_message = _("The code is not valid.")


class CustodyConflict(Conflict):
    code = "custody_conflict"
    default_message = _("This custody step does not fit the container's current state.")
