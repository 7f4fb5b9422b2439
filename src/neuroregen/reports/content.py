"""The snapshot a family report shows, built from the evidence analyses (never recomputed).

``family_snapshot`` reads the child's tidy frames (``evidence.selectors``), runs the per-child
analysis (``evidence.child.analyse_child``, which calls ``neuroregen.stats``) on the data up
to the end of the report's phase, and keeps plain JSON: numbers, codes and dates. Words are
added at display time in the reader's language, so one snapshot reads in English, Russian or
Ukrainian alike.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from neuroregen.biomarkers.catalogue import ANALYTES
from neuroregen.core.time import site_today
from neuroregen.evidence import child as child_analysis
from neuroregen.evidence import selectors
from neuroregen.evidence.analysis import CGI_I_MEASURE
from neuroregen.evidence.frames import FOLLOW_UP_PHASES, PHASES, EvidenceFrames
from neuroregen.instruments.choices import ResponseStatus
from neuroregen.instruments.models import Response
from neuroregen.participants.models import Participant
from neuroregen.reports.errors import NothingToReport
from neuroregen.safety.models import AdverseEvent
from neuroregen.stats import comparators as cmp

#: What usual change without the therapy looks like (DOMAIN.md §4), shown in every report.
COMPARATORS: tuple[cmp.Benchmark, ...] = (
    cmp.NATURAL_HISTORY_ATEC_AGE,
    cmp.NATURAL_HISTORY_VINELAND_CHANGE,
    cmp.PLACEBO_CGI_I_RESPONDERS,
    cmp.UCB_ACCESS_NULL,
)


def _num(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) or math.isinf(number) else number


def phases_up_to(phase: str) -> list[str]:
    """Phase codes from screening up to and including ``phase``."""
    return list(PHASES[: PHASES.index(phase) + 1])


def _until(frames: EvidenceFrames, phase: str) -> EvidenceFrames:
    keep = phases_up_to(phase)

    def cut(df: Any) -> Any:
        return df[df["phase"].isin(keep)] if "phase" in df.columns else df

    return EvidenceFrames(
        frames.participants,
        cut(frames.outcomes),
        cut(frames.biomarkers),
        cut(frames.adverse_events),
        frames.administrations,
        list(frames.notes),
    )


def _measure(m: child_analysis.ChildMeasure) -> dict[str, Any]:
    points = [
        {
            "visit": str(r.visit_code or ""),
            "phase": str(r.phase),
            "day": _num(r.study_day),
            "value": _num(r.value),
        }
        for r in m.series.itertuples()
    ]
    baseline = next((p["value"] for p in points if p["phase"] == "baseline"), None)
    out: dict[str, Any] = {
        "key": m.measure,
        "label": m.label,
        "direction": m.direction,
        "points": points,
        "baseline": baseline,
        "latest": None,
        "threshold": None,
        "reliability": None,
        "provisional": None,
        "sd": _num(m.reference_sd),
        "sd_source": m.sd_source,
        "note": m.note,
    }
    follow = [
        r
        for r in m.series.itertuples()
        if r.phase in FOLLOW_UP_PHASES and _num(r.value) is not None
    ]
    if follow and _num(follow[-1].baseline_value) is not None and m.measure != CGI_I_MEASURE:
        last_row = follow[-1]
        # The observed difference only; whether it exceeds measurement error is the verdict's.
        out["latest"] = {
            "visit": str(last_row.visit_code or ""),
            "change": _num(last_row.value - last_row.baseline_value),
            "rc": None,
            "category": None,
        }
    if m.verdicts is not None and len(m.verdicts.category):
        v = m.verdicts
        last = len(v.category) - 1
        out.update(
            latest={
                "visit": str(v.participants[last]),
                "change": _num(v.change[last]),
                "rc": _num(v.rc[last]),
                "category": v.category[last],
            },
            # Changes inside ±threshold can come from measurement error alone.
            threshold=_num(v.critical * v.s_diff),
            reliability=_num(v.reliability),
            provisional=bool(v.provisional),
        )
    return out


def _assessments(user: Any, participant: Participant, until: dt.date) -> list[dict[str, Any]]:
    rows = (
        Response.objects.for_user(user)
        .filter(
            participant=participant, status__in=ResponseStatus.finished(), answered_on__lte=until
        )
        .select_related("instrument", "visit")
        .order_by("answered_on", "instrument__code")
    )
    return [
        {
            "date": r.answered_on.isoformat() if r.answered_on else "",
            "visit": r.visit.code,
            "instrument": r.instrument.title,
            "instrument_code": r.instrument.code,
            "respondent": r.respondent,
        }
        for r in rows
    ]


def _adverse_events(user: Any, participant: Participant, until: dt.date) -> list[dict[str, Any]]:
    rows = (
        AdverseEvent.objects.for_user(user)
        .filter(participant=participant, onset_date__lte=until)
        .order_by("onset_date", "pk")
    )
    return [
        {
            "term": e.term,
            "onset": e.onset_date.isoformat(),
            "resolved": e.resolution_date.isoformat() if e.resolution_date else "",
            "grade": e.grade,
            "serious": bool(e.is_serious),
            "related": e.relatedness_product,
        }
        for e in rows
    ]


def _biomarkers(frames: EvidenceFrames) -> list[dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for r in frames.biomarkers.sort_values("study_day").itertuples():
        analyte = ANALYTES.get(str(r.analyte))
        entry = out.setdefault(
            str(r.analyte),
            {
                "code": str(r.analyte),
                "analyte": analyte.name if analyte else str(r.analyte),
                "unit": str(r.unit),
                "points": [],
            },
        )
        entry["points"].append(
            {
                "day": _num(r.study_day),
                "phase": str(r.phase),
                "value": _num(r.value),
                "below_lloq": bool(r.below_lloq),
                "lloq": _num(r.lloq),
            }
        )
    return list(out.values())


def _comparators() -> list[dict[str, Any]]:
    return [
        {
            "key": b.key,
            "value": _num(b.value),
            "low": _num(b.ci_low),
            "high": _num(b.ci_high),
            "citation": b.citation,
        }
        for b in COMPARATORS
    ]


def family_snapshot(
    *, user: Any, participant: Participant, phase: str, cutoff: dt.date | None = None
) -> dict[str, Any]:
    """Everything a family report shows for ``participant`` up to the end of ``phase``.

    Raises :class:`NothingToReport` when the child has no assessed measure in that span.
    """
    cutoff = cutoff or site_today(participant)
    frames, sds, protocol = selectors.child_frames(user=user, study_code=participant.study_code)
    child = child_analysis.analyse_child(_until(frames, phase), participant.study_code, sds)
    measures = [_measure(m) for m in child.measures if not m.series.empty]
    if not measures:
        raise NothingToReport()
    administrations = [
        {"day": _num(a.study_day), "product_type": str(a.product_type), "route": str(a.route)}
        for a in child.administrations.itertuples()
    ]
    return {
        "schema": 1,
        "study_code": participant.study_code,
        "phase": phase,
        "cutoff": cutoff.isoformat(),
        "protocol": str(protocol) if protocol else "",
        "synthetic": bool(participant.site.is_synthetic or child.synthetic),
        "measures": measures,
        "assessments": _assessments(user, participant, cutoff),
        "biomarkers": _biomarkers(_until(frames, phase)),
        "adverse_events": _adverse_events(user, participant, cutoff),
        "administrations": administrations,
        "comparators": _comparators(),
    }
