"""How the evidence page frames its numbers: one sign convention, named units and quantities.

* Every change is *follow-up − baseline* in the measure's own units; an effect against a
  benchmark is *observed − benchmark* in the same sign, so for ATEC (higher = worse) every
  effect column reads "improvement = ↓", and for Vineland "improvement = ↑".
* Each column names its unit: score points, SD units (standardised), % of children or
  percentage points.
* The benchmark a measure is compared with is shown with its value, interval and citation.
* ``n`` is children throughout; a model's observations are given separately.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from neuroregen.stats.benchmarks import Benchmark, BenchmarkKind
from neuroregen.stats.results import Direction, Estimate

if TYPE_CHECKING:
    from neuroregen.evidence.program_evidence import PhaseRow, ProgramEvidence

__all__ = [
    "IMPROVES_DOWN",
    "IMPROVES_UP",
    "MeasureSection",
    "benchmark_unit",
    "claim_quantity",
    "in_change_sign",
    "measure_sections",
]

IMPROVES_DOWN = "↓"
IMPROVES_UP = "↑"


def arrow(direction: Direction | str) -> str:
    """The way a change of this measure goes when the child improves."""
    return IMPROVES_UP if Direction(direction) is Direction.HIGHER_IS_BETTER else IMPROVES_DOWN


def benchmark_unit(benchmark: Benchmark | None) -> str:
    """The unit a change benchmark (and the difference from it) is expressed in."""
    if benchmark is None:
        return ""
    if benchmark.kind is BenchmarkKind.STANDARDIZED_MEAN_CHANGE:
        return _("SD units (standardised)")
    if benchmark.kind is BenchmarkKind.PROPORTION:
        return _("percentage points")
    return _("score points")


def in_change_sign(difference: Estimate, direction: Direction, benchmark: Benchmark) -> Estimate:
    """An observed-vs-benchmark difference turned to the sign of the change.

    ``stats.comparators.compare_change_with_benchmark`` returns *extra improvement* (positive =
    better whatever the scale). Multiplied by the measure's sign it becomes *observed change −
    benchmark change*: negative is better for ATEC, exactly like the change beside it.
    """
    sign = direction.sign
    low, high = sorted((sign * difference.ci_low, sign * difference.ci_high))
    return replace(
        difference,
        quantity=_("%(quantity)s: observed − benchmark change, %(unit)s")
        % {
            "quantity": difference.quantity,
            "unit": benchmark_unit(benchmark),
        },
        estimate=sign * difference.estimate,
        ci_low=low,
        ci_high=high,
        details={
            **dict(difference.details),
            "sign": "observed change − benchmark change (same sign as the change)",
            "improvement": arrow(direction),
            "unit": benchmark.unit,
        },
    )


@dataclass(frozen=True)
class MeasureSection:
    """One measure's rows of the phase table, with the headers that say how to read them."""

    measure: str
    label: str
    direction: str
    arrow: str
    benchmark: Benchmark | None
    benchmark_unit: str
    rows: tuple[PhaseRow, ...]
    responders_only: bool

    @property
    def benchmark_has_interval(self) -> bool:
        b = self.benchmark
        return b is not None and not (math.isnan(b.ci_low) or math.isnan(b.ci_high))


def measure_sections(ev: ProgramEvidence) -> list[MeasureSection]:
    """The phase rows grouped by measure, in the order they were analysed."""
    order: dict[str, list[Any]] = {}
    for row in ev.rows:
        order.setdefault(row.measure, []).append(row)
    sections = []
    for measure, rows in order.items():
        first = rows[0]
        bench = next((r.benchmark for r in rows if r.benchmark is not None), None)
        sections.append(
            MeasureSection(
                measure=measure,
                label=first.measure_label,
                direction=first.direction,
                arrow=arrow(first.direction),
                benchmark=bench,
                benchmark_unit=benchmark_unit(bench),
                rows=tuple(rows),
                responders_only=all(r.change is None and r.effect is None for r in rows),
            )
        )
    return sections


def claim_quantity(verdict: Any) -> str:
    """What a claim's observed figure is, in words."""
    kind = getattr(getattr(verdict.claim, "kind", None), "value", "")
    controlled = bool(getattr(verdict, "controlled", False))
    if kind == "larger in younger children" and controlled:
        return _(
            "Difference in treatment effect (treated − control responder rate), "
            "younger − older (percentage points)"
        )
    if kind == "larger in younger children":
        return _("Difference in responder rate, younger − older (percentage points)")
    if controlled:
        return _("Responder rate of treated children (% of children)")
    return _("Responder rate (% of children)")
