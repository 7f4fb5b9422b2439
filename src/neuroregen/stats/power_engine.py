"""The simulation engine shared by every design: seeded generation in blocks of whole trials,
counting rejections, and the result with its Monte-Carlo (Wilson) interval.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from statsmodels.stats.proportion import proportion_confint

from neuroregen.stats.results import Estimate

__all__ = [
    "DEFAULT_SEED",
    "PowerResult",
]


DEFAULT_SEED = 20_240_601


_BLOCK_ELEMENTS = 4_000_000  # random numbers generated per block of whole trials


@dataclass(frozen=True)
class PowerResult:
    """Simulated power with its Monte-Carlo interval and the closed-form value.

    Attributes
    ----------
    design : str
        "parallel" or "crossover (AB/BA)".
    outcome : str
        "continuous" or "responder".
    test : str
        The analysis applied to each simulated trial.
    n_total : int
        Participants per simulated trial.
    alpha : float
        Two-sided significance level.
    n_sims : int
        Number of simulated trials.
    seed : int
        Seed of the generator (reproduces the result exactly).
    power : Estimate
        Share of trials rejecting, with its Wilson interval (n = simulated trials).
    closed_form : float or None
        Analytical power where a formula exists (see ``closed_form_method``).
    closed_form_method : str
    settings : mapping
        The scenario (effect, SD, correlation, probabilities, period effect ...).
    caveats : tuple of str
    """

    design: str
    outcome: str
    test: str
    n_total: int
    alpha: float
    n_sims: int
    seed: int
    power: Estimate
    closed_form: float | None
    closed_form_method: str
    settings: Mapping[str, Any] = field(default_factory=dict)
    caveats: tuple[str, ...] = ()

    @property
    def mc_se(self) -> float:
        """Monte-Carlo standard error of the simulated power, ``sqrt(p(1 − p)/n_sims)``."""
        p = self.power.estimate
        return math.sqrt(p * (1 - p) / self.n_sims)

    def as_text(self) -> str:
        cf = (
            f"; closed form {self.closed_form:.3f} ({self.closed_form_method})"
            if self.closed_form is not None
            else ""
        )
        return (
            f"{self.design}, {self.outcome} outcome, n={self.n_total}, α={self.alpha:g}: "
            f"simulated power {self.power.estimate:.3f} ({self.power.interval_text()}, "
            f"{self.n_sims} trials, seed {self.seed}){cf}"
        )


def _count_rejections(
    n_sims: int,
    per_trial_elements: int,
    rng: np.random.Generator,
    reject_block: Callable[[np.random.Generator, int], np.ndarray],
) -> int:
    if n_sims < 1:
        raise ValueError("n_sims must be positive")
    block = max(1, _BLOCK_ELEMENTS // max(1, per_trial_elements))
    total = 0
    done = 0
    while done < n_sims:  # loops over blocks of whole trials, never over single trials
        m = min(block, n_sims - done)
        total += int(np.count_nonzero(reject_block(rng, m)))
        done += m
    return total


def _result(
    *,
    design: str,
    outcome: str,
    test: str,
    n_total: int,
    alpha: float,
    n_sims: int,
    seed: int,
    rejections: int,
    confidence: float,
    closed_form: float | None,
    closed_form_method: str,
    settings: Mapping[str, Any],
    caveats: tuple[str, ...] = (),
) -> PowerResult:
    low, high = proportion_confint(rejections, n_sims, alpha=1 - confidence, method="wilson")
    low = 0.0 if rejections == 0 else float(low)  # exact at the edges, no rounding residue
    high = 1.0 if rejections == n_sims else float(high)
    p = rejections / n_sims
    est = Estimate(
        quantity=f"power, {design} design, {outcome} outcome, n={n_total}",
        estimate=p,
        ci_low=float(low),
        ci_high=float(high),
        confidence=confidence,
        n=n_sims,
        method=f"Monte-Carlo simulation of {n_sims} trials ({test}); Wilson interval",
        comparator=f"α = {alpha:g} two-sided",
        caveats=caveats,
        details={
            "closed_form": closed_form,
            "closed_form_method": closed_form_method,
            "mc_se": math.sqrt(p * (1 - p) / n_sims),
            "seed": seed,
        },
    )
    return PowerResult(
        design=design,
        outcome=outcome,
        test=test,
        n_total=n_total,
        alpha=alpha,
        n_sims=n_sims,
        seed=seed,
        power=est,
        closed_form=closed_form,
        closed_form_method=closed_form_method,
        settings=dict(settings),
        caveats=caveats,
    )
