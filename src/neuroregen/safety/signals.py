"""Biomarker signal rules evaluated over plain values. Pure: no database.

A rule fires when a result crosses its threshold (``value <comparison> threshold``) in the
rule's unit and, if the rule has a window, the sample was taken within ``within_days`` days
after an administration (day 0 to ``within_days`` inclusive). A result in another unit is
never compared: units are not converted silently.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

__all__ = ["SignalSpec", "same_name", "signal_fires"]

_COMPARE: dict[str, Callable[[Decimal, Decimal], bool]] = {
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}


@dataclass(frozen=True)
class SignalSpec:
    analyte: str
    comparison: str
    threshold: Decimal
    unit: str
    within_days: int | None = None


def same_name(a: str, b: str) -> bool:
    # "IL-6", "il6" and "IL 6" name the same analyte; "pg/mL" and "pg/ml" the same unit.
    def key(text: str) -> str:
        return re.sub(r"[^0-9a-zµ/%]", "", text.lower())

    return key(a) == key(b)


def signal_fires(
    spec: SignalSpec,
    *,
    analyte: str,
    value: Decimal,
    unit: str,
    days_since_administration: int | None,
) -> bool:
    """True when the result crosses the rule's threshold inside its window.

    >>> il6 = SignalSpec("IL-6", "gt", Decimal("7"), "pg/mL", within_days=14)
    >>> signal_fires(il6, analyte="IL-6", value=Decimal("12.5"), unit="pg/mL",
    ...              days_since_administration=3)
    True
    >>> signal_fires(il6, analyte="IL-6", value=Decimal("12.5"), unit="pg/mL",
    ...              days_since_administration=20)
    False
    """
    if not same_name(spec.analyte, analyte) or not same_name(spec.unit, unit):
        return False
    if spec.within_days is not None and (
        days_since_administration is None or not 0 <= days_since_administration <= spec.within_days
    ):
        return False
    return _COMPARE[spec.comparison](Decimal(value), Decimal(spec.threshold))
