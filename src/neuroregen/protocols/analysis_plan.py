"""The analysis plan block of a protocol document: primary outcome and phase, phase summary rule.

```json
"analysis_plan": {
  "primary_measure": "atec.atec_total",
  "primary_phase": "late",
  "phase_summary_rule": "nearest_target",
  "phase_targets": {"early": 28, "mid": 90, "late": 270, "long_term": 730}
}
```

Every key is optional; a missing key keeps the model's default. The block is checked with the
rest of the document (every problem listed) and written with the header.
"""

from __future__ import annotations

from typing import Any

from neuroregen.protocols import choices as c
from neuroregen.protocols import timeline

__all__ = ["apply_plan", "plan_problems", "plan_spec"]

PHASES = ("early", "mid", "late", "long_term")
#: Target study day of each follow-up phase when the protocol names none (the schedule's D28,
#: M3, M9 and M24; late: the middle of months 6–12).
DEFAULT_TARGETS = {"early": 28, "mid": 90, "late": 270, "long_term": 730}


def _block(data: dict[str, Any]) -> dict[str, Any]:
    block = data.get("analysis_plan") or {}
    return block if isinstance(block, dict) else {}


def _phase_span(phase: str, bounds: timeline.PhaseBoundaries) -> tuple[int, int | None]:
    return {
        "early": (0, bounds.early_until),
        "mid": (bounds.early_until, bounds.mid_until),
        "late": (bounds.mid_until, bounds.late_until),
        "long_term": (bounds.late_until, None),
    }[phase]


def plan_problems(data: dict[str, Any], bounds: timeline.PhaseBoundaries) -> list[str]:
    """Every problem of the document's analysis plan, in words."""
    raw = data.get("analysis_plan")
    if raw is None:
        return []
    if not isinstance(raw, dict):
        return ["Analysis plan: must be an object."]
    problems = []
    unknown = set(raw) - {"primary_measure", "primary_phase", "phase_summary_rule", "phase_targets"}
    if unknown:
        problems.append(f"Analysis plan: unknown key(s) {', '.join(sorted(unknown))}.")
    measure = raw.get("primary_measure", "")
    if not isinstance(measure, str) or (measure and "." not in measure):
        problems.append(
            "Analysis plan: primary_measure must be a measure code such as atec.atec_total."
        )
    if raw.get("primary_phase", "late") not in PHASES:
        problems.append(f"Analysis plan: primary_phase must be one of {', '.join(PHASES)}.")
    rule = raw.get("phase_summary_rule", c.PhaseSummaryRule.NEAREST_TARGET)
    if rule not in c.PhaseSummaryRule.values:
        problems.append(
            "Analysis plan: phase_summary_rule must be one of "
            f"{', '.join(c.PhaseSummaryRule.values)}."
        )
    targets = raw.get("phase_targets", {})
    if not isinstance(targets, dict):
        return [*problems, "Analysis plan: phase_targets must be an object."]
    for phase, day in targets.items():
        if phase not in PHASES:
            problems.append(f"Analysis plan: no phase {phase!r} (phases: {', '.join(PHASES)}).")
            continue
        if not isinstance(day, int) or isinstance(day, bool):
            problems.append(f"Analysis plan: the {phase} target day must be a whole study day.")
            continue
        low, high = _phase_span(phase, bounds)
        if day < low or (high is not None and day > high):
            span = f"{low} to {high}" if high is not None else f"{low} or later"
            problems.append(
                f"Analysis plan: the {phase} target day {day} lies outside the phase "
                f"(study days {span})."
            )
    return problems


def apply_plan(protocol: Any, data: dict[str, Any]) -> None:
    """Copy the document's analysis plan onto ``protocol`` (defaults for missing keys)."""
    block = _block(data)
    protocol.primary_measure = block.get("primary_measure") or ""
    protocol.primary_phase = block.get("primary_phase") or "late"
    protocol.phase_summary_rule = block.get("phase_summary_rule", c.PhaseSummaryRule.NEAREST_TARGET)
    targets = {**DEFAULT_TARGETS, **(block.get("phase_targets") or {})}
    protocol.early_target_day = targets["early"]
    protocol.mid_target_day = targets["mid"]
    protocol.late_target_day = targets["late"]
    protocol.long_term_target_day = targets["long_term"]


def plan_spec(protocol: Any) -> dict[str, Any]:
    """The protocol's analysis plan as a document block (``protocol_export``)."""
    return {
        "primary_measure": protocol.primary_measure,
        "primary_phase": protocol.primary_phase,
        "phase_summary_rule": protocol.phase_summary_rule,
        "phase_targets": protocol.phase_targets(),
    }
