"""What a round trip must keep: every form's answers, missing codes, status and date."""

from __future__ import annotations

from neuroregen.instruments.models import Response


def responses_snapshot(*, exclude_not_done: bool = True) -> dict:
    rows = Response.objects.select_related("participant", "visit", "instrument")
    if exclude_not_done:
        rows = rows.exclude(status="not_done")
    return {
        (r.participant.study_code, r.visit.code, r.instrument.code): (
            r.answers,
            r.missing,
            r.status,
            r.answered_on,
            r.scores,
        )
        for r in rows
        if r.answers or r.missing
    }


def not_done_snapshot() -> dict:
    """Every form recorded as not done, with its reason (a round trip keeps them too)."""
    rows = Response.objects.filter(status="not_done").select_related(
        "participant", "visit", "instrument"
    )
    return {
        (r.participant.study_code, r.visit.code, r.instrument.code): r.not_done_reason for r in rows
    }
