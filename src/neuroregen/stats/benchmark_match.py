"""Whether a published benchmark measures the same thing as our figure.

A responder rate is comparable with a published rate only when both count the same event: the
same responder definition on the same scale, rated by the same kind of rater. "Any ATEC
decrease" counts far more children than "CGI-I much improved"; setting 79 % of the first beside
19 % of the second says nothing about the therapy. So a comparison is made only when the
definitions match, or through a mapping listed in :data:`DOCUMENTED_MAPPINGS` with its
justification; otherwise the page shows :data:`NO_MATCHING_BENCHMARK` instead of a verdict.
"""

from __future__ import annotations

from dataclasses import dataclass

from neuroregen.stats.benchmarks import Benchmark
from neuroregen.stats.text import text

__all__ = [
    "DOCUMENTED_MAPPINGS",
    "NO_MATCHING_BENCHMARK",
    "BenchmarkMatch",
    "MismatchedBenchmarkError",
    "match_rate_benchmark",
]

NO_MATCHING_BENCHMARK = text("no matching benchmark for this definition")

#: (benchmark key, our responder definition) → why the two count the same event. Empty until
#: a mapping is justified from the source (e.g. a paper that reports both definitions).
DOCUMENTED_MAPPINGS: dict[tuple[str, str], str] = {}


class MismatchedBenchmarkError(ValueError):
    """A benchmark was asked to stand in for a figure it does not measure."""


@dataclass(frozen=True)
class BenchmarkMatch:
    """The outcome of matching a benchmark with our responder definition (and rater)."""

    matches: bool
    reason: str
    mapping: str | None = None


def match_rate_benchmark(
    benchmark: Benchmark, definition: str | None, *, rater: str | None = None
) -> BenchmarkMatch:
    """Whether ``benchmark`` counts the same responders as ``definition``.

    Rule: the benchmark's recorded responder definition equals ours word for word, or the pair
    is listed in :data:`DOCUMENTED_MAPPINGS`; when both raters are known (``rater`` and
    ``benchmark.rater``) they must be the same. A benchmark without a recorded definition
    matches nothing.

    Examples
    --------
    >>> from neuroregen.stats.benchmarks import PLACEBO_CGI_I_RESPONDERS as B
    >>> match_rate_benchmark(B, "CGI-I ≤ 2 (much or very much improved)").matches
    True
    >>> m = match_rate_benchmark(B, "any improvement on ATEC total (any decrease; lower is better)")
    >>> m.matches, m.reason.startswith("no matching benchmark")
    (False, True)
    """
    ours = definition or "unstated"
    theirs = benchmark.responder_definition
    if theirs is None:
        return BenchmarkMatch(
            False,
            text(
                "no matching benchmark for this definition: the benchmark records no responder "
                "definition"
            ),
        )
    mapping = DOCUMENTED_MAPPINGS.get((benchmark.key, ours))
    if theirs != ours and mapping is None:
        return BenchmarkMatch(
            False,
            text(
                "no matching benchmark for this definition (ours: {ours}; benchmark: {theirs})",
                ours=ours,
                theirs=theirs,
            ),
        )
    bench_rater = getattr(benchmark, "rater", None)
    if rater and bench_rater and rater != bench_rater:
        return BenchmarkMatch(
            False,
            text(
                "no matching benchmark for this definition: rated by {rater}, the benchmark by "
                "{bench_rater}",
                rater=rater,
                bench_rater=bench_rater,
            ),
        )
    return BenchmarkMatch(
        True, text("same responder definition") if mapping is None else mapping, mapping
    )
