"""Result objects shared by every statistical function.

Every estimate NeuroRegen shows travels in one of these: the number never leaves without its
interval, its confidence level, its n, the method that produced it, what it was compared with
and the caveats that limit it. Presenting layers render these objects; they never recompute or
drop the interval.
"""

from __future__ import annotations

import enum
import html
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from neuroregen.stats.text import text


class Direction(enum.Enum):
    """Which way a score moves when the child is doing better."""

    HIGHER_IS_BETTER = "higher_is_better"
    HIGHER_IS_WORSE = "higher_is_worse"

    @property
    def sign(self) -> int:
        """+1 when a rise is an improvement, -1 when a fall is."""
        return 1 if self is Direction.HIGHER_IS_BETTER else -1


def _fmt(value: float | None, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, float) and math.isinf(value):
        return "∞" if value > 0 else "−∞"
    return f"{value:.{digits}f}"


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its interval and the context needed to read it honestly.

    Attributes
    ----------
    quantity : str
        What is estimated, in words ("mean change from baseline, ATEC total").
    estimate : float
        The point estimate.
    ci_low, ci_high : float
        Bounds of the confidence interval (NaN when it cannot be computed; never omitted).
    confidence : float
        Confidence level of the interval, e.g. 0.95.
    n : int
        Number of observations (participants, or pairs) that entered the estimate.
    method : str
        How the estimate and interval were computed.
    comparator : str
        What the estimate is relative to ("own baseline (no control group)", "placebo arm").
    caveats : tuple of str
        Limits on interpretation, shown wherever the estimate is shown.
    p_value : float or None
        Two-sided p-value of the stated test, when one applies.
    details : mapping
        Secondary quantities (SD, t statistic, degrees of freedom, ...).
    """

    quantity: str
    estimate: float
    ci_low: float
    ci_high: float
    confidence: float
    n: int
    method: str
    comparator: str
    caveats: tuple[str, ...] = ()
    p_value: float | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    def with_caveats(self, *extra: str) -> Estimate:
        """Return a copy with further caveats appended (duplicates dropped)."""
        merged = tuple(dict.fromkeys((*self.caveats, *extra)))
        return _replace(self, caveats=merged)

    def as_row(self) -> dict[str, Any]:
        """A flat dict for tables and CSV export."""
        row: dict[str, Any] = {
            "quantity": self.quantity,
            "estimate": self.estimate,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "confidence": self.confidence,
            "n": self.n,
            "p_value": self.p_value,
            "method": self.method,
            "comparator": self.comparator,
            "caveats": "; ".join(self.caveats),
        }
        for key, value in self.details.items():
            row[f"detail_{key}"] = value
        return row

    def interval_text(self) -> str:
        level = round(self.confidence * 100)
        return f"{level}% CI {_fmt(self.ci_low)} to {_fmt(self.ci_high)}"

    def as_text(self) -> str:
        """One line a person can read; the interval and comparator are never left out."""
        parts = [
            f"{self.quantity}: {_fmt(self.estimate)} ({self.interval_text()}), n={self.n}",
            f"vs {self.comparator}",
        ]
        if self.p_value is not None:
            parts.append(f"p={_fmt(self.p_value, 3)}")
        parts.append(f"[{self.method}]")
        text = "; ".join(parts)
        if self.caveats:
            text += " Caveats: " + "; ".join(self.caveats) + "."
        return text

    def as_html(self) -> str:
        """An escaped HTML fragment with the same content as :meth:`as_text`."""
        e = html.escape
        caveats = "".join(f"<li>{e(c)}</li>" for c in self.caveats)
        p = (
            f' <span class="p-value">p={e(_fmt(self.p_value, 3))}</span>'
            if self.p_value is not None
            else ""
        )
        return (
            f'<div class="nr-estimate"><span class="quantity">{e(self.quantity)}</span>: '
            f'<strong class="estimate">{e(_fmt(self.estimate))}</strong> '
            f'<span class="interval">({e(self.interval_text())})</span>, '
            f'<span class="n">n={self.n}</span>, '
            f'<span class="comparator">vs {e(self.comparator)}</span>{p} '
            f'<span class="method">[{e(self.method)}]</span>'
            + (f'<ul class="caveats">{caveats}</ul>' if caveats else "")
            + "</div>"
        )


def _replace(obj: Estimate, **changes: Any) -> Estimate:
    values = {f.name: getattr(obj, f.name) for f in fields(obj)}
    values.update(changes)
    return type(obj)(**values)


# Caveats used across the package, worded once so every page says the same thing.
UNCONTROLLED = text("no control group: change from baseline cannot be attributed to the therapy")
CAREGIVER_RATED = text("caregiver-rated outcome: caregivers know treatment was given (unblinded)")
SMALL_N = text("small sample: the interval is wide and the estimate unstable")
SYNTHETIC = text("SYNTHETIC DATA: generated for demonstration, not from real participants")
PROVISIONAL_RELIABILITY = text(
    "reliability is provisional (no published test-retest value): reliable-change verdicts are "
    "approximate"
)
MULTIPLICITY = text(
    "many subgroups were examined: some differences are expected by chance alone; treat "
    "subgroup findings as hypotheses"
)
AGE_CONFOUNDING = text(
    "younger children also improve more without treatment: age differences are confounded "
    "by development"
)

# Comparators, worded once.
OWN_BASELINE = text("own baseline (no control group)")
