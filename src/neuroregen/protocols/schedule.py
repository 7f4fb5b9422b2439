"""Validation of a protocol's visit schedule. Pure: plain dicts in, problems with stable ids out.

Used by the Django system checks (``visits.checks``, run at start-up over every stored
protocol) and by the protocol services (import, edit, activation), so a bad schedule is refused
with the same specific message wherever it comes from. Ids never change:

=============  ====================================================================
visits.E001    two visits' windows overlap (for an arm both apply to)
visits.E002    unknown instrument code
visits.E003    phases out of order (or a phase on the wrong side of day 0)
visits.E004    unknown biomarker analyte code
visits.E005    unknown safety-check code
visits.E006    duplicate visit code
visits.E007    malformed visit (unknown phase, negative window, missing value)
visits.E008    administration visits do not match an arm's number and spacing
visits.E009    no administration visit on day 0
visits.W001    a follow-up visit's phase disagrees with the protocol's phase boundaries
=============  ====================================================================
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from neuroregen.protocols import timeline
from neuroregen.protocols.visit_choices import Phase


@dataclass(frozen=True)
class Problem:
    id: str
    message: str
    visit: str = ""

    @property
    def is_error(self) -> bool:
        return ".E" in self.id


def _span(visit: dict[str, Any]) -> str:
    return f"{visit['_window'].open_day}..{visit['_window'].close_day}"


def _arms_of(visit: dict[str, Any], all_arms: set[str]) -> set[str]:
    return set(visit.get("arm_codes") or []) or set(all_arms)


def schedule_problems(
    visits: list[dict[str, Any]],
    *,
    arms: Iterable[dict[str, Any]] = (),
    boundaries: timeline.PhaseBoundaries = timeline.DEFAULT_BOUNDARIES,
    instruments: Iterable[str] = (),
    biomarkers: Iterable[str] = (),
    safety_checks: Iterable[str] = (),
) -> list[Problem]:
    """Every problem of the schedule ``visits`` (each a ``VisitDefinition.as_spec()`` dict)."""
    problems: list[Problem] = []
    known = {
        "instruments": set(instruments),
        "biomarkers": set(biomarkers),
        "safety_checks": set(safety_checks),
    }
    unknown_ids = {
        "instruments": "visits.E002",
        "biomarkers": "visits.E004",
        "safety_checks": "visits.E005",
    }
    arm_list = list(arms)
    arm_codes = {a["code"] for a in arm_list}
    seen_codes: set[str] = set()
    valid: list[dict[str, Any]] = []
    for visit in visits:
        code = str(visit.get("code") or "")
        if not code:
            problems.append(Problem("visits.E007", "A visit has no code."))
            continue
        if code in seen_codes:
            problems.append(Problem("visits.E006", f"Visit code {code} is used twice.", code))
            continue
        seen_codes.add(code)
        try:
            window = timeline.Window(
                int(visit["target_day"]),
                int(visit.get("window_before", 0)),
                int(visit.get("window_after", 0)),
            )
            phase = Phase(visit["phase"])
        except (KeyError, TypeError, ValueError) as exc:
            problems.append(Problem("visits.E007", f"Visit {code} is malformed: {exc}.", code))
            continue
        for arm in visit.get("arm_codes") or []:
            if arm not in arm_codes:
                problems.append(
                    Problem("visits.E007", f"Visit {code} names unknown arm {arm}.", code)
                )
        for key, allowed in known.items():
            for item in visit.get(key) or []:
                if item not in allowed:
                    problems.append(
                        Problem(
                            unknown_ids[key],
                            f"Visit {code} expects unknown {key.replace('_', ' ')[:-1]} code "
                            f"'{item}' (known: {', '.join(sorted(allowed))}).",
                            code,
                        )
                    )
        valid.append({**visit, "_window": window, "_phase": phase})

    ordered = sorted(valid, key=lambda v: (v["_window"].target, v["code"]))
    for index, a in enumerate(ordered):
        for b in ordered[index + 1 :]:
            if timeline.windows_overlap(a["_window"], b["_window"]) and (
                _arms_of(a, arm_codes) & _arms_of(b, arm_codes) or not arm_codes
            ):
                problems.append(
                    Problem(
                        "visits.E001",
                        f"Windows of {a['code']} (days {_span(a)}) and {b['code']} "
                        f"(days {_span(b)}) overlap.",
                        b["code"],
                    )
                )

    previous = None
    for visit in ordered:
        phase, target, code = visit["_phase"], visit["_window"].target, visit["code"]
        if phase == Phase.ADMINISTRATION:
            if target < 0:
                problems.append(
                    Problem("visits.E003", f"Administration visit {code} is before day 0.", code)
                )
            continue
        side_ok = (target < 0) if phase in (Phase.SCREENING, Phase.BASELINE) else (target > 0)
        if not side_ok:
            problems.append(
                Problem(
                    "visits.E003",
                    f"Visit {code} ({phase.label}) on day {target} is on the wrong side of day 0.",
                    code,
                )
            )
        if previous is not None and timeline.phase_rank(phase) < timeline.phase_rank(previous[0]):
            problems.append(
                Problem(
                    "visits.E003",
                    f"Phases out of order: {code} ({phase.label}, day {target}) comes after "
                    f"{previous[1]} ({Phase(previous[0]).label}).",
                    code,
                )
            )
        previous = (phase, code)
        if target > 0 and timeline.phase_of(target, boundaries) != phase:
            problems.append(
                Problem(
                    "visits.W001",
                    f"Visit {code} on day {target} is declared {phase.label} but the protocol's "
                    f"boundaries put that day in {timeline.phase_of(target, boundaries).label}.",
                    code,
                )
            )

    administrations = [v for v in ordered if v["_phase"] == Phase.ADMINISTRATION]
    if ordered and not any(v["_window"].target == 0 for v in administrations):
        problems.append(Problem("visits.E009", "No administration visit on day 0."))
    for arm in arm_list:
        days = [
            v["_window"].target for v in administrations if arm["code"] in _arms_of(v, arm_codes)
        ]
        count = int(arm.get("administrations", 1))  # optional, as spec.check_arm reads it
        wanted = [i * int(arm.get("spacing_days") or 0) for i in range(count)]
        if administrations and days != wanted:
            problems.append(
                Problem(
                    "visits.E008",
                    f"Arm {arm['code']} has {count} administration(s) every "
                    f"{arm.get('spacing_days') or 0} days (days {wanted}) but the schedule has "
                    f"administration visits on days {days}.",
                )
            )
    return problems
