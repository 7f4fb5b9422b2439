"""Benchmark: wall-clock time of simulated power for 200-participant trials.

Runs 10 000 simulated trials of 200 participants for each design/outcome (parallel 100 + 100
continuous, parallel responder, AB/BA crossover continuous and responder), repeats each a few
times and prints the best and median wall-clock times with the simulated and closed-form power.

Usage::

    python bench/bench_power.py [--n-sims 10000] [--repeats 3]

Timings are informational; no test asserts on them.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

try:
    from neuroregen.stats import power
except ModuleNotFoundError:  # running from a checkout without the package installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from neuroregen.stats import power


def scenarios(n_sims: int) -> list[tuple[str, Callable[[], power.PowerResult]]]:
    """The benchmarked scenarios: 200 participants each, effect sizes near 80 % power."""
    return [
        (
            "parallel, continuous (100 + 100, δ = 0.4 SD)",
            lambda: power.simulate_parallel_continuous(100, 0.4, 1.0, n_sims=n_sims, seed=1),
        ),
        (
            "parallel, responder (100 + 100, 19 % vs 37 %)",
            lambda: power.simulate_parallel_responder(100, 0.19, 0.37, n_sims=n_sims, seed=2),
        ),
        (
            "crossover, continuous (200, δ = 0.2 SD, ρ = 0.5, period effect 0.3)",
            lambda: power.simulate_crossover_continuous(
                200, 0.2, 1.0, 0.5, period_effect=0.3, n_sims=n_sims, seed=3
            ),
        ),
        (
            "crossover, responder (200, 19 % vs 30 %, ρ = 0.5)",
            lambda: power.simulate_crossover_responder(200, 0.19, 0.30, 0.5, n_sims=n_sims, seed=4),
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-sims", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    print(
        f"{args.n_sims} simulated trials of 200 participants per scenario; "
        f"best / median of {args.repeats} runs"
    )
    header = (
        f"{'scenario':<70} {'best s':>8} {'median s':>9} {'power':>6} "
        f"{'95% MC CI':>13} {'closed':>7}"
    )
    print(header)
    print("-" * len(header))
    for name, run in scenarios(args.n_sims):
        times = []
        result = None
        for _ in range(args.repeats):
            start = time.perf_counter()
            result = run()
            times.append(time.perf_counter() - start)
        assert result is not None
        closed = f"{result.closed_form:.3f}" if result.closed_form is not None else "n/a"
        ci = f"{result.power.ci_low:.3f}–{result.power.ci_high:.3f}"
        print(
            f"{name:<70} {min(times):>8.3f} {statistics.median(times):>9.3f} "
            f"{result.power.estimate:>6.3f} {ci:>13} {closed:>7}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
