"""Reads of the reports app. Every read starts from ``for_user``; families see released
reports of their own child only."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from neuroregen.core.errors import NotFound
from neuroregen.core.roles import Capability
from neuroregen.core.scoping import is_family, site_grant
from neuroregen.core.services import signatures_for
from neuroregen.core.time import site_today
from neuroregen.instruments.models import SurveyLink
from neuroregen.participants.models import Participant
from neuroregen.reports import choices as c
from neuroregen.reports.models import FamilyReport, ReportJob
from neuroregen.visits.models import Visit


def is_staff_viewer(user: Any) -> bool:
    """Holds a non-family grant somewhere (family memberships never count)."""
    everywhere, site_ids = site_grant(user, Capability.VIEW)
    return everywhere or bool(site_ids)


def reports_for(*, user: Any) -> QuerySet[FamilyReport]:
    """Reports the user may see: staff see every status at their sites, families only released
    reports of their own child."""
    qs = FamilyReport.objects.for_user(user).select_related("participant", "site", "released_by")
    if not is_staff_viewer(user):
        qs = qs.filter(status=c.ReportStatus.RELEASED)
    return qs


def report_get(*, user: Any, pk: int) -> FamilyReport:
    found = reports_for(user=user).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


def report_list(*, user: Any, status: str = "") -> QuerySet[FamilyReport]:
    qs = reports_for(user=user)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-pk")


def release_signature(report: FamilyReport) -> Any:
    return signatures_for(report).first() if report.is_released else None


def family_language(participant: Participant) -> str:
    """The language the child's family reads reports in: the language their account chose
    (the first linked account's), else the one recorded for the participant."""
    from neuroregen.participants.models import FamilyLink

    chosen = (
        FamilyLink.objects.filter(participant=participant, user__is_active=True)
        .order_by("pk")
        .values_list("user__preferred_language", flat=True)
        .first()
    )
    return chosen or participant.preferred_language or "en"


def family_children(*, user: Any) -> list[Participant]:
    if not is_family(user):
        return []
    return list(
        Participant.objects.for_user(user).filter(family_links__user=user).select_related("site")
    )


def family_reports(*, user: Any, participant: Participant) -> list[FamilyReport]:
    """Released reports of the child, newest version first within each phase."""
    return list(
        reports_for(user=user)
        .filter(participant=participant, status=c.ReportStatus.RELEASED)
        .order_by("phase", "-version")
    )


def upcoming_visits(*, user: Any, participant: Participant, limit: int = 5) -> list[Visit]:
    today = site_today(participant)
    return list(
        Visit.objects.for_user(user)
        .filter(
            participant=participant,
            done_on__isnull=True,
            cancelled_on__isnull=True,
            not_done_reason="",
            window_close__gte=today,
        )
        .order_by("target_date")[:limit]
    )


def pending_questionnaires(*, user: Any, participant: Participant) -> list[SurveyLink]:
    """Questionnaire links sent to the family that are still open."""
    return list(
        SurveyLink.objects.for_user(user)
        .filter(
            response__participant=participant,
            used_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .select_related("response__instrument", "response__visit")
        .order_by("expires_at")
    )


def jobs_for(*, user: Any) -> QuerySet[ReportJob]:
    return ReportJob.objects.filter(requested_by=user).defer("pdf")


def job_get(*, user: Any, pk: int) -> ReportJob:
    found = ReportJob.objects.filter(requested_by=user, pk=pk).first()
    if found is None:
        raise NotFound()
    return found
