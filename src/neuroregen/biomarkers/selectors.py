"""Reads of the biomarkers app. Every read starts from ``for_user``."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from neuroregen.biomarkers.models import Measurement
from neuroregen.core.errors import NotFound


def measurement_list(
    *, user: Any, analyte: str = "", site: str = "", study_code: str = ""
) -> QuerySet[Measurement]:
    qs = Measurement.objects.for_user(user).select_related("participant__site", "visit")
    if analyte:
        qs = qs.filter(analyte=analyte)
    if site:
        qs = qs.filter(participant__site__code=site)
    if study_code:
        qs = qs.filter(participant__study_code=study_code)
    return qs.order_by("-collected_at", "analyte", "-pk")


def measurement_get(*, user: Any, pk: int) -> Measurement:
    found = (
        Measurement.objects.for_user(user)
        .select_related("participant__site", "visit")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise NotFound()
    return found
