"""Subgroup analyses of a programme on its primary outcome and primary phase: by age band,
severity, syndrome, comorbidity, product, lot, dose band and route.

Lots with too few participants are pooled into one level, said on the page.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from django.utils.translation import gettext as _

from neuroregen.evidence.phase_summary import DEFAULT_PLAN, AnalysisPlan, phase_values
from neuroregen.evidence.program_evidence import ProgramEvidence
from neuroregen.evidence.program_measures import MeasureMeta, _context, _try
from neuroregen.evidence.program_products import _products
from neuroregen.stats.subgroups import subgroup_analysis
from neuroregen.stats.text import text

__all__ = [
    "LOT_MIN_PARTICIPANTS",
    "SMALL_LOTS",
    "SUBGROUP_MIN_CHILDREN",
    "SUBGROUP_VARIABLES",
]


SUBGROUP_VARIABLES: tuple[tuple[str, str], ...] = (
    ("age_band", text("age band")),
    ("severity", text("DSM-5 severity")),
    ("syndrome_group", text("genetic syndrome")),
    ("comorbidity_group", text("comorbidity")),
    ("product_type", text("product")),
    ("lot", text("lot")),
    ("dose_band", text("dose band")),
    ("route", text("route")),
)


#: Lots with fewer participants are pooled into one level (``SMALL_LOTS``) for the lot
#: subgroups and the table by lot.
LOT_MIN_PARTICIPANTS = 5


SMALL_LOTS = text("other lots (each < 5 participants)")


def _per_child_outcome(
    outcomes: pd.DataFrame, primary: str, phase: str, plan: AnalysisPlan = DEFAULT_PLAN
) -> pd.DataFrame:
    data = phase_values(outcomes, primary, phase, plan)
    return data.assign(change=data["value"] - data["baseline_value"])


def _subgroup_frame(participants: pd.DataFrame) -> pd.DataFrame:
    frame = participants.copy()
    frame["syndrome_group"] = np.where(
        frame["syndrome"].fillna("") != "",
        frame["syndrome"],
        frame["genetic_finding"].fillna("unknown"),
    )
    flags = [c for c in frame.columns if c.startswith("comorbid_")]
    names = [c.removeprefix("comorbid_") for c in flags]
    count = frame[flags].astype(bool).sum(axis=1) if flags else pd.Series(0, index=frame.index)
    first = (
        frame[flags].astype(bool).idxmax(axis=1).str.removeprefix("comorbid_")
        if flags
        else pd.Series("", index=frame.index)
    )
    frame["comorbidity_group"] = np.where(count == 0, "none", np.where(count > 1, "several", first))
    del names
    # Autologous products make a lot per child: thousands of one-child lots give a table
    # nobody can read and estimates that are all interval. Small lots are pooled, and said so.
    size = frame.groupby("lot", dropna=True)["study_code"].transform("nunique")
    frame["lot"] = frame["lot"].where(size.isna() | (size >= LOT_MIN_PARTICIPANTS), SMALL_LOTS)
    return frame


def _pooled_lots_note(participants: pd.DataFrame) -> str | None:
    size = participants.groupby("lot", dropna=True)["study_code"].nunique()
    small = size[size < LOT_MIN_PARTICIPANTS]
    if small.empty:
        return None
    return text(
        "{lots} lots with fewer than {min} participants each ({n} participants) are pooled as "
        "“{pooled}” in the lot subgroups and in the table by lot",
        lots=len(small),
        min=LOT_MIN_PARTICIPANTS,
        n=int(small.sum()),
        pooled=SMALL_LOTS,
    )


#: Fewer children with the outcome than this give subgroup estimates that are all interval.
SUBGROUP_MIN_CHILDREN = 10


def _subgroups_and_products(
    ev: ProgramEvidence,
    outcomes: pd.DataFrame,
    meta: MeasureMeta,
    sub_frame: pd.DataFrame,
    aes: pd.DataFrame,
    plan: AnalysisPlan,
    confidence: float,
) -> None:
    """Subgroups and the table by lot, dose and route, on the primary outcome and phase."""
    phase = plan.primary_phase
    change = _per_child_outcome(outcomes, meta.measure, phase, plan)
    merged = change.merge(sub_frame, on="study_code", suffixes=("", "_p"))
    n = int(merged["study_code"].nunique())
    ev.subgroup_phase = phase
    ev.subgroup_n = n
    ev.subgroup_direction = meta.direction.value
    ev.subgroup_measure = _("change in %(measure)s (%(phase)s − baseline, %(rule)s)") % {
        "measure": meta.label,
        "phase": phase,
        "rule": plan.describe(phase),
    }
    ctx = _context(meta.caregiver_rated, ev.synthetic)
    if n < SUBGROUP_MIN_CHILDREN:
        ev.notes.append(
            _(
                "Subgroups: too few children with the primary outcome at the primary phase "
                "(n = %(n)s children; at least %(min)s needed)."
            )
            % {"n": n, "min": SUBGROUP_MIN_CHILDREN}
        )
    else:
        for column, words in SUBGROUP_VARIABLES:
            res = _try(
                lambda c=column, w=words: subgroup_analysis(
                    merged.assign(**{c: merged[c].astype("string").astype(object)}),
                    outcome="change",
                    subgroup=c,
                    quantity=ev.subgroup_measure,
                    variable_label=w,
                    confidence=confidence,
                    caveats=ctx,
                ),
                ev.notes,
                _("subgroups by %(variable)s (n = %(n)s children)") % {"variable": words, "n": n},
            )
            if res is not None:
                ev.subgroups.append(res)
    ev.products = _products(merged, sub_frame, aes, ev.subgroup_measure, ctx, confidence)
