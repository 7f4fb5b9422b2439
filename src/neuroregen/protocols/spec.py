"""Validation of a protocol document (the JSON that export writes and import reads).

The whole document is checked before anything is written, and every problem is reported; the
service raises the most specific coded error (unknown rule field, invalid rule, invalid
schedule, otherwise invalid protocol) carrying the full list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from neuroregen.protocols import choices as c
from neuroregen.protocols import codes, timeline
from neuroregen.protocols.analysis_plan import plan_problems
from neuroregen.protocols.dose import DoseRule
from neuroregen.protocols.registration import registration_problems
from neuroregen.protocols.rules import RuleProblem, rule_problems
from neuroregen.protocols.schedule import Problem, schedule_problems

DECIMAL_ARM_FIELDS = ("dose_per_kg_min", "dose_per_kg_max", "dose_per_kg_default")
PROTOCOL_FIELDS = ("name", "regulatory_reference", "description")


@dataclass
class SpecReport:
    general: list[str] = field(default_factory=list)
    arms: list[str] = field(default_factory=list)
    rules: list[RuleProblem] = field(default_factory=list)
    schedule: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (
            self.general or self.arms or self.rules or [p for p in self.schedule if p.is_error]
        )

    def messages(self) -> list[str]:
        return [
            *self.general,
            *self.arms,
            *(p.message for p in self.rules),
            *(f"{p.id}: {p.message}" for p in self.schedule if p.is_error),
        ]


def _decimal(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a number") from None


def boundaries_of(data: dict[str, Any]) -> timeline.PhaseBoundaries:
    given = data.get("phase_boundaries") or {}
    return timeline.PhaseBoundaries(**{k: int(v) for k, v in given.items()})


def check_arm(arm: dict[str, Any]) -> list[str]:
    code = arm.get("code") or "?"
    errors = []
    for key, vocabulary in (
        ("product_type", c.ProductType),
        ("route", c.Route),
        ("dose_unit", c.DoseUnit),
    ):
        if arm.get(key) not in vocabulary.values:
            errors.append(f"Arm {code}: unknown {key.replace('_', ' ')} {arm.get(key)!r}.")
    if not arm.get("code") or not arm.get("name"):
        errors.append(f"Arm {code}: code and name are required.")
    try:
        minimum, maximum, planned = [_decimal(arm.get(k)) for k in DECIMAL_ARM_FIELDS]
        if minimum is None or maximum is None or planned is None:
            raise ValueError("minimum, maximum and planned dose per kg are required")
        DoseRule(
            arm.get("dose_unit", ""),
            minimum,
            maximum,
            planned,
            _decimal(arm.get("dose_absolute_cap")),
        )
    except ValueError as exc:
        errors.append(f"Arm {code}: dose rule: {exc}.")
    administrations = arm.get("administrations", 1)
    spacing = arm.get("spacing_days", 0)
    if not isinstance(administrations, int) or not 1 <= administrations <= 10:
        errors.append(f"Arm {code}: number of administrations must be 1 to 10.")
    if not isinstance(spacing, int) or spacing < 0:
        errors.append(f"Arm {code}: days between administrations cannot be negative.")
    elif isinstance(administrations, int) and administrations > 1 and spacing == 0:
        errors.append(f"Arm {code}: repeated administrations need days between them.")
    return errors


def spec_report(data: Any) -> SpecReport:
    """Check a protocol document; nothing is looked up in the database but the code lists."""
    report = SpecReport()
    if not isinstance(data, dict):
        report.general.append("The protocol document must be a JSON object.")
        return report
    for key in ("code", "version", "name"):
        if not str(data.get(key) or "").strip():
            report.general.append(f"'{key}' is required.")
    for key in ("arms", "rules", "schedule"):
        if not isinstance(data.get(key, []), list):
            report.general.append(f"'{key}' must be a list.")
    try:
        boundaries = boundaries_of(data)
    except (TypeError, ValueError) as exc:
        report.general.append(f"Phase boundaries: {exc}.")
        boundaries = timeline.DEFAULT_BOUNDARIES
    report.general.extend(plan_problems(data, boundaries))
    report.general.extend(registration_problems(data))
    if report.general:
        return report
    arms = data.get("arms") or []
    if not arms:
        report.arms.append("A protocol offers at least one arm.")
    arm_codes = [a.get("code") for a in arms if isinstance(a, dict)]
    if len(set(arm_codes)) != len(arm_codes):
        report.arms.append("Arm codes must be unique.")
    for arm in arms:
        if not isinstance(arm, dict):
            report.arms.append("Each arm must be an object.")
            continue
        report.arms.extend(check_arm(arm))
    arms_by_code = {a["code"]: a for a in arms if isinstance(a, dict) and a.get("code")}
    rule_codes = [r.get("code") for r in data.get("rules") or [] if isinstance(r, dict)]
    if len(set(rule_codes)) != len(rule_codes):
        report.rules.append(RuleProblem("rule_invalid", "?", "Rule codes must be unique."))
    for rule in data.get("rules") or []:
        if not isinstance(rule, dict):
            report.rules.append(RuleProblem("rule_invalid", "?", "Each rule must be an object."))
            continue
        report.rules.extend(rule_problems(rule, arms_by_code))
    if not report.arms:
        report.schedule = schedule_problems(
            [v for v in data.get("schedule") or [] if isinstance(v, dict)],
            arms=arms,
            boundaries=boundaries,
            instruments=codes.known_instruments(),
            biomarkers=codes.known_biomarkers(),
            safety_checks=codes.known_safety_checks(),
        )
    return report
