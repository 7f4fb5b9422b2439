"""Dose from weight and an arm's dose rule. Pure: no database, no Django models.

dose = per-kg dose × weight, refused when the per-kg dose lies outside the rule's
[min, max] and capped at the rule's absolute cap (a cap is applied, and said so; a dose above
the per-kg maximum is refused, never silently reduced).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


class DoseOutOfBounds(ValueError):
    """The requested dose per kg lies outside the arm's rule."""


@dataclass(frozen=True)
class DoseRule:
    unit: str
    per_kg_min: Decimal
    per_kg_max: Decimal
    per_kg_default: Decimal
    absolute_cap: Decimal | None = None

    def __post_init__(self) -> None:
        if not (Decimal(0) <= self.per_kg_min <= self.per_kg_default <= self.per_kg_max):
            raise ValueError("dose rule needs 0 ≤ min ≤ default ≤ max")
        if self.absolute_cap is not None and self.absolute_cap <= 0:
            raise ValueError("dose cap must be positive")


@dataclass(frozen=True)
class DoseCalculation:
    per_kg: Decimal
    weight_kg: Decimal
    total: Decimal
    capped: bool
    unit: str

    def explain(self) -> str:
        text = f"{self.per_kg:.3g} {self.unit} × {self.weight_kg} kg = {self.total:.3g}"
        return text + (" (capped at the arm's maximum total dose)" if self.capped else "")


def compute_dose(
    rule: DoseRule, weight_kg: Decimal, per_kg: Decimal | None = None
) -> DoseCalculation:
    """Total dose for ``weight_kg`` at ``per_kg`` (default: the rule's default per-kg dose).

    >>> rule = DoseRule(
    ...     "cells_per_kg", Decimal("1e6"), Decimal("5e6"), Decimal("2e6"), Decimal("1e8")
    ... )
    >>> compute_dose(rule, Decimal("20")).total
    Decimal('4.0E+7')
    >>> compute_dose(rule, Decimal("60")).capped
    True
    """
    if weight_kg <= 0:
        raise DoseOutOfBounds("weight must be positive")
    chosen = rule.per_kg_default if per_kg is None else per_kg
    if not (rule.per_kg_min <= chosen <= rule.per_kg_max):
        raise DoseOutOfBounds(
            f"{chosen:.3g} {rule.unit} is outside the arm's range "
            f"{rule.per_kg_min:.3g}–{rule.per_kg_max:.3g}"
        )
    total = chosen * weight_kg
    capped = rule.absolute_cap is not None and total > rule.absolute_cap
    if capped:
        assert rule.absolute_cap is not None  # noqa: S101 - narrowed for the type checker
        total = rule.absolute_cap
    return DoseCalculation(
        per_kg=chosen, weight_kg=weight_kg, total=total, capped=capped, unit=rule.unit
    )
