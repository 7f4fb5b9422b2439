"""One value per child and phase, by the rule the protocol's analysis plan names.

A phase can hold several visits (late: M6, M9, M12). Which of them stands for the child is a
choice that changes the answer, so it is made once, in the protocol, and stated on the page:

* ``nearest_target`` (default): the visit nearest to the phase's target study day (on a tie,
  the later visit);
* ``last_in_window``: the last visit in the phase;
* ``mean_of_visits``: the mean of the child's values in the phase.

The baseline is each child's last baseline-phase value (``frames.attach_baseline``) under every
rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from django.utils.translation import gettext as _

from neuroregen.protocols.analysis_plan import DEFAULT_TARGETS

__all__ = [
    "DEFAULT_PLAN",
    "DEFAULT_TARGETS",
    "RULES",
    "AnalysisPlan",
    "phase_values",
    "plan_of",
]

MEASURE_COLUMNS = ["study_code", "baseline_value", "value", "age_months", "study_day"]
RULES = ("nearest_target", "last_in_window", "mean_of_visits")
DEFAULT_PRIMARY_MEASURE = "atec.atec_total"


@dataclass(frozen=True)
class AnalysisPlan:
    """The protocol's choices the analyses follow: primary outcome and phase, summary rule."""

    rule: str = "nearest_target"
    targets: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_TARGETS))
    primary_measure: str = ""
    primary_phase: str = "late"

    def __post_init__(self) -> None:
        if self.rule not in RULES:
            raise ValueError(f"unknown phase summary rule {self.rule!r}")

    def target(self, phase: str) -> int | None:
        return self.targets.get(phase)

    def describe(self, phase: str) -> str:
        """The rule in words, for one phase ("visit nearest to day 270")."""
        if self.rule == "last_in_window":
            return _("last visit in the phase")
        if self.rule == "mean_of_visits":
            return _("mean of the visits in the phase")
        target = self.target(phase)
        if target is None:
            return _("last visit in the phase")
        return _("visit nearest to study day %(day)s") % {"day": target}

    def cache_key(self) -> str:
        targets = ",".join(f"{k}={v}" for k, v in sorted(self.targets.items()))
        return f"{self.rule}|{targets}|{self.primary_measure}|{self.primary_phase}"


DEFAULT_PLAN = AnalysisPlan()


def plan_of(protocol: Any) -> AnalysisPlan:
    """The analysis plan recorded on a protocol (the default plan for ``None``)."""
    if protocol is None:
        return DEFAULT_PLAN
    return AnalysisPlan(
        rule=protocol.phase_summary_rule,
        targets=protocol.phase_targets(),
        primary_measure=protocol.primary_measure or "",
        primary_phase=protocol.primary_phase or "late",
    )


def phase_values(
    outcomes: pd.DataFrame, measure: str, phase: str, plan: AnalysisPlan = DEFAULT_PLAN
) -> pd.DataFrame:
    """One row per child: baseline and the value of ``measure`` in ``phase`` by the plan's
    rule (columns study_code, baseline_value, value, age_months, study_day)."""
    keep = (
        (outcomes["measure"] == measure) & (outcomes["phase"] == phase) & outcomes["value"].notna()
    )
    rows = outcomes.loc[keep, MEASURE_COLUMNS].dropna(subset=["study_code"])
    if rows.empty:
        return rows
    target = plan.target(phase)
    if plan.rule == "mean_of_visits":
        return _mean_of_each(rows)
    if plan.rule == "nearest_target" and target is not None:
        # nearest first; on a tie the later visit (sorted last by day, so kept by "last")
        distance = -(rows["study_day"].astype(float) - target).abs()
        order = np.lexsort((rows["study_day"].to_numpy(float), distance.to_numpy(float)))
        return _last_of_each(rows.iloc[order])
    return _last_of_each(rows.sort_values("study_day", kind="stable"))


def _last_of_each(rows: pd.DataFrame) -> pd.DataFrame:
    """The last row of each child in the rows' order."""
    return rows[~rows["study_code"].duplicated(keep="last").to_numpy()]


def _mean_of_each(rows: pd.DataFrame) -> pd.DataFrame:
    grouped = rows.groupby("study_code", sort=False)
    out = grouped.agg(
        baseline_value=("baseline_value", "first"),
        value=("value", "mean"),
        age_months=("age_months", "first"),
        study_day=("study_day", "mean"),
    ).reset_index()
    return out[MEASURE_COLUMNS]
