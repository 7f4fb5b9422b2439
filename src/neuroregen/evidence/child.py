"""One child's measures over time, with a reliable-change verdict at each follow-up.

The reference SD of each measure comes from ``evidence.reference_sd`` (one number per protocol
and measure, whoever looks): the child page, the clinician's preview and the released family
report therefore give the same verdict.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from django.utils.translation import gettext as _

from neuroregen.evidence.analysis import CGI_I_MEASURE, measures
from neuroregen.evidence.frames import FOLLOW_UP_PHASES, EvidenceFrames
from neuroregen.evidence.reference_sd import ReferenceValue
from neuroregen.stats.reliable_change import ReliableChangeResult, reliable_change

__all__ = ["ChildEvidence", "ChildMeasure", "analyse_child"]


@dataclass(frozen=True)
class ChildMeasure:
    measure: str
    label: str
    direction: str
    series: pd.DataFrame  # study_day, phase, visit_code, value
    verdicts: ReliableChangeResult | None
    reference_sd: float | None
    sd_source: str
    note: str = ""

    @property
    def verdict_list(self) -> list[dict[str, Any]]:
        """Reliable-change category and RC at each follow-up visit."""
        if self.verdicts is None:
            return []
        return [
            {"visit": v, "category": c, "rc": float(r)}
            for v, c, r in zip(
                self.verdicts.participants, self.verdicts.category, self.verdicts.rc, strict=True
            )
        ]


@dataclass
class ChildEvidence:
    study_code: str
    synthetic: bool
    measures: list[ChildMeasure]
    biomarkers: pd.DataFrame
    administrations: pd.DataFrame
    adverse_events: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def analyse_child(
    frames: EvidenceFrames, study_code: str, reference: dict[str, ReferenceValue] | None = None
) -> ChildEvidence:
    """One child's measures over time with a reliable-change verdict at each follow-up.

    ``reference`` maps each measure to its reference SD (``reference_sd.reference_values``);
    a measure without one gets no verdict, and says so.
    """
    child = frames.for_participant(study_code)
    sds = reference or {}
    out: list[ChildMeasure] = []
    for meta in measures(child.outcomes):
        rows = child.outcomes[
            (child.outcomes["measure"] == meta.measure) & child.outcomes["value"].notna()
        ].sort_values("study_day")
        series = rows[["study_day", "phase", "visit_code", "value", "baseline_value"]]
        ref = sds.get(meta.measure)
        sd, source = (ref.sd, ref.describe()) if ref is not None else (None, "")
        follow = series[series["phase"].isin(FOLLOW_UP_PHASES)]
        verdicts, note = None, ""
        if meta.measure == CGI_I_MEASURE:
            note = _("CGI-I rates change itself")
        elif meta.reliability is None:
            note = _("no reliability recorded: no reliable-change verdict")
        elif sd is None:
            note = _("no reference SD available: no reliable-change verdict")
        elif follow.empty or follow["baseline_value"].isna().all():
            note = _("no baseline or no follow-up yet")
        else:
            verdicts = reliable_change(
                follow["baseline_value"].to_numpy(float),
                follow["value"].to_numpy(float),
                reliability=meta.reliability,
                direction=meta.direction,
                sd=sd,
                provisional=meta.provisional,
                measure=meta.label,
                participants=follow["visit_code"].to_numpy(),
            )
        out.append(
            ChildMeasure(
                meta.measure, meta.label, meta.direction.value, series, verdicts, sd, source, note
            )
        )
    return ChildEvidence(
        study_code,
        child.synthetic,
        out,
        child.biomarkers,
        child.administrations,
        child.adverse_events,
        list(frames.notes),
    )
