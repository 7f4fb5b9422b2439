"""Statistical power by simulation, with closed-form checks.

Designs: two-arm parallel (1:1) and two-period, two-sequence (AB/BA) crossover. Outcomes:
continuous (normal) or responder (binary). Every trial of a simulation is generated at once as
numpy arrays (no Python loop per trial; large runs are processed in blocks of whole trials to
bound memory) from a seeded :class:`numpy.random.Generator`, so a result is reproducible from
its seed. Power is the share of simulated trials whose two-sided test rejects at ``alpha``; it
is returned with its Monte-Carlo (Wilson) interval and, where one exists, the closed-form value.

Crossover designs assume no carry-over. Cell therapies are meant to persist (engraft, remodel),
so for them a crossover is rarely defensible; the caveat travels with every crossover result.
"""

from __future__ import annotations

from neuroregen.stats.power_designs import (
    CARRYOVER,
    simulate_crossover_continuous,
    simulate_crossover_responder,
    simulate_parallel_continuous,
    simulate_parallel_responder,
)
from neuroregen.stats.power_engine import DEFAULT_SEED, PowerResult
from neuroregen.stats.power_formulas import (
    power_crossover_t,
    power_mcnemar,
    power_paired_t,
    power_two_proportions,
    power_two_sample_t,
)

__all__ = [
    "CARRYOVER",
    "DEFAULT_SEED",
    "PowerResult",
    "power_crossover_t",
    "power_mcnemar",
    "power_paired_t",
    "power_two_proportions",
    "power_two_sample_t",
    "simulate_crossover_continuous",
    "simulate_crossover_responder",
    "simulate_parallel_continuous",
    "simulate_parallel_responder",
]
