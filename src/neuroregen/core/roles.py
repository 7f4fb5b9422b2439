"""Roles and what each may do. One table, read by the scoping queryset and by every service."""

from __future__ import annotations

import enum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMINISTRATOR = "administrator", _("Administrator")
    INVESTIGATOR = "investigator", _("Investigator")
    COORDINATOR = "coordinator", _("Coordinator")
    LAB = "lab", _("Lab / QC")
    MONITOR = "monitor", _("Monitor (read-only)")
    STATISTICIAN = "statistician", _("Statistician (pseudonymous data)")
    FAMILY = "family", _("Family (own child only)")


class Capability(enum.StrEnum):
    VIEW = "view"  # research data of the sites (or child) the user may see
    VIEW_IDENTITY = "view_identity"  # decrypted names, birth dates, contacts
    MANAGE_PARTICIPANT = "manage_participant"  # screen, enrol, edit research data
    RECORD_CONSENT = "record_consent"
    VIEW_AUDIT = "view_audit"
    SIGN_CLINICAL = "sign_clinical"  # investigator sign-off
    LAB_WRITE = "lab_write"
    EXPORT_PSEUDONYMOUS = "export_pseudonymous"
    MANAGE_SITE = "manage_site"
    MANAGE_PROTOCOL = "manage_protocol"  # create, import, activate, amend protocol versions
    ADMINISTER_PRODUCT = "administer_product"  # bedside identity check and administration
    RELEASE_LOT = "release_lot"  # signed release of a product lot for clinical use
    MANAGE_INSTRUMENTS = "manage_instruments"  # import/replace instrument definitions
    CLOSE_QUERY = "close_query"  # close a data-quality query after review
    VERIFY_FORM = "verify_form"  # mark a complete form verified after review against source
    REPORT_SAFETY = "report_safety"  # record adverse events, follow-ups, report submissions
    CONFIGURE_SAFETY = "configure_safety"  # biomarker signal rules and stopping rules
    EXPORT_IDENTITY = "export_identity"  # let names and birth dates leave in an export
    # Calendar dates of a child's research events; without it (statisticians) dates show as
    # study days, so screening date and age in months cannot be combined into a birth month.
    VIEW_CALENDAR_DATES = "view_calendar_dates"
    VIEW_DONOR = "view_donor"  # donor codes and HLA typing (third parties' genetic data)


_C = Capability
CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.ADMINISTRATOR: frozenset(
        {
            _C.VIEW,
            _C.VIEW_IDENTITY,
            _C.MANAGE_PARTICIPANT,
            _C.RECORD_CONSENT,
            _C.VIEW_AUDIT,
            _C.EXPORT_PSEUDONYMOUS,
            _C.MANAGE_SITE,
            _C.MANAGE_INSTRUMENTS,
            _C.CLOSE_QUERY,
            _C.VERIFY_FORM,
            _C.MANAGE_PROTOCOL,
            _C.CONFIGURE_SAFETY,
            _C.EXPORT_IDENTITY,
            _C.VIEW_CALENDAR_DATES,
        }
    ),
    Role.INVESTIGATOR: frozenset(
        {
            _C.VIEW,
            _C.VIEW_IDENTITY,
            _C.MANAGE_PARTICIPANT,
            _C.RECORD_CONSENT,
            _C.VIEW_AUDIT,
            _C.SIGN_CLINICAL,
            _C.EXPORT_PSEUDONYMOUS,
            _C.ADMINISTER_PRODUCT,
            _C.CLOSE_QUERY,
            _C.VERIFY_FORM,
            _C.REPORT_SAFETY,
            _C.VIEW_CALENDAR_DATES,
            _C.VIEW_DONOR,
        }
    ),
    Role.COORDINATOR: frozenset(
        {
            _C.VIEW,
            _C.VIEW_IDENTITY,
            _C.MANAGE_PARTICIPANT,
            _C.RECORD_CONSENT,
            _C.ADMINISTER_PRODUCT,
            _C.REPORT_SAFETY,
            _C.VIEW_CALENDAR_DATES,
        }
    ),
    Role.LAB: frozenset(
        {_C.VIEW, _C.LAB_WRITE, _C.RELEASE_LOT, _C.VIEW_CALENDAR_DATES, _C.VIEW_DONOR}
    ),
    # Monitors verify and audit every site but change nothing; identity stays with the sites.
    Role.MONITOR: frozenset({_C.VIEW, _C.VIEW_AUDIT, _C.VIEW_CALENDAR_DATES}),
    Role.STATISTICIAN: frozenset({_C.VIEW, _C.EXPORT_PSEUDONYMOUS}),
    Role.FAMILY: frozenset({_C.VIEW}),
}

WRITE_CAPABILITIES = frozenset(
    {
        _C.MANAGE_PARTICIPANT,
        _C.RECORD_CONSENT,
        _C.SIGN_CLINICAL,
        _C.LAB_WRITE,
        _C.MANAGE_SITE,
        _C.MANAGE_INSTRUMENTS,
        _C.CLOSE_QUERY,
        _C.VERIFY_FORM,
        _C.ADMINISTER_PRODUCT,
        _C.RELEASE_LOT,
        _C.MANAGE_PROTOCOL,
        _C.REPORT_SAFETY,
        _C.CONFIGURE_SAFETY,
    }
)
assert not (CAPABILITIES[Role.MONITOR] & WRITE_CAPABILITIES)  # noqa: S101 - invariant of the table
