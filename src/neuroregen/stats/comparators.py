"""Reference benchmarks from the literature, and comparisons of our figures with them.

A single-arm programme cannot show that its children did better than they would have done
anyway. The least it must do is set its figures beside what placebo, usual care and time
alone produce in published studies. The benchmarks below are data, each with its value,
interval (NaN when the source gives none), kind, unit, citation and a note on how far it
transfers. They are *external* comparators: different children, raters, definitions and
follow-up times. A comparison with them is context, never a controlled effect.
"""

from __future__ import annotations

import math

from scipy import stats

from neuroregen.stats._common import mover_difference, z_quantile
from neuroregen.stats.benchmark_match import MismatchedBenchmarkError, match_rate_benchmark
from neuroregen.stats.benchmarks import (
    ALL_BENCHMARKS,
    NATURAL_HISTORY_ATEC_AGE,
    NATURAL_HISTORY_NONPERSISTENT_ASD,
    NATURAL_HISTORY_VINELAND_CHANGE,
    OXYTOCIN_ABC_SW_CHANGE_DRUG,
    OXYTOCIN_ABC_SW_CHANGE_PLACEBO,
    PLACEBO_CGI_I_RESPONDERS,
    PLACEBO_SMC_CORE,
    PLACEBO_SMC_REPETITIVE,
    PLACEBO_SMC_SOCIAL_COMMUNICATION,
    REHAB_CARS_MEAN_DIFFERENCE,
    REHAB_CGI_EFFECTIVE_RATE_CONTROL,
    REHAB_CGI_EFFECTIVE_RATE_STEM_CELL,
    REHAB_CGI_EFFECTIVE_RR,
    UCB_ACCESS_NULL,
    Benchmark,
    BenchmarkKind,
)
from neuroregen.stats.results import Direction, Estimate
from neuroregen.stats.text import text

__all__ = [
    "ALL_BENCHMARKS",
    "EXTERNAL",
    "NATURAL_HISTORY_ATEC_AGE",
    "NATURAL_HISTORY_NONPERSISTENT_ASD",
    "NATURAL_HISTORY_VINELAND_CHANGE",
    "NO_BENCHMARK_INTERVAL",
    "OXYTOCIN_ABC_SW_CHANGE_DRUG",
    "OXYTOCIN_ABC_SW_CHANGE_PLACEBO",
    "PLACEBO_CGI_I_RESPONDERS",
    "PLACEBO_SMC_CORE",
    "PLACEBO_SMC_REPETITIVE",
    "PLACEBO_SMC_SOCIAL_COMMUNICATION",
    "REHAB_CARS_MEAN_DIFFERENCE",
    "REHAB_CGI_EFFECTIVE_RATE_CONTROL",
    "REHAB_CGI_EFFECTIVE_RATE_STEM_CELL",
    "REHAB_CGI_EFFECTIVE_RR",
    "UCB_ACCESS_NULL",
    "Benchmark",
    "BenchmarkKind",
    "compare_change_with_benchmark",
    "compare_rate_with_benchmark",
]


EXTERNAL = text(
    "external benchmark from other studies (different children, raters and timing): "
    "context, not a concurrent control"
)


NO_BENCHMARK_INTERVAL = text(
    "the benchmark has no published interval and is treated as exact: the comparison "
    "interval is too narrow"
)


def compare_rate_with_benchmark(observed: Estimate, benchmark: Benchmark) -> Estimate:
    """Observed responder rate minus a benchmark rate, allowing for the benchmark's uncertainty.

    Parameters
    ----------
    observed : Estimate
        A responder rate (from :func:`~neuroregen.stats.proportions.responder_rate`), with
        its Wilson interval and ``details["definition"]``.
    benchmark : Benchmark
        A PROPORTION benchmark.

    Returns
    -------
    Estimate
        d = p̂ − b. Positive means more responders than the benchmark.

    Notes
    -----
    Interval (MOVER; Zou & Donner 2008, the construction of Newcombe's method 10):
    L = d − √((p̂ − l)² + (b_u − b)²), U = d + √((u − p̂)² + (b − b_l)²), where (l, u) is the
    observed Wilson interval and (b_l, b_u) the published benchmark interval rescaled to the
    same confidence level. Each side combines the two sources of error in quadrature.

    Test: z = (p̂ − b)/√(b(1 − b)/n + SE_b²), with SE_b = (b_u − b_l)/(2·z_{0.975}), two-sided
    normal p-value — a score-type test of "our rate equals the benchmark" that counts the
    benchmark's own standard error.

    Caveats: the observed caveats, the external-benchmark caveat, and one when the benchmark
    has no interval. A benchmark counting a different responder definition is refused
    (:class:`~neuroregen.stats.benchmark_match.MismatchedBenchmarkError`, a ValueError whose
    message begins "no matching benchmark for this definition"): such a difference measures
    the definitions, not the children.

    References
    ----------
    Zou GY, Donner A. Construction of confidence limits about effect measures: a general
    approach. *Stat Med* 2008;27:1693–1702. Newcombe RG. *Stat Med* 1998;17:873–890.

    Examples
    --------
    >>> from neuroregen.stats.proportions import ResponderDefinition, responder_rate_from_counts
    >>> rate = responder_rate_from_counts(12, 30, definition=ResponderDefinition.cgi_i())
    >>> cmp = compare_rate_with_benchmark(rate, PLACEBO_CGI_I_RESPONDERS)
    >>> round(cmp.estimate, 2), round(cmp.ci_low, 3), round(cmp.ci_high, 3)
    (0.21, 0.053, 0.389)
    """
    if benchmark.kind is not BenchmarkKind.PROPORTION:
        raise ValueError(f"benchmark {benchmark.key} is not a proportion")
    definition = observed.details.get("definition")
    match = match_rate_benchmark(benchmark, definition)
    if not match.matches:
        raise MismatchedBenchmarkError(match.reason)
    conf = observed.confidence
    p, n = observed.estimate, observed.n
    b = benchmark.value
    down, up = benchmark.half_widths(conf)
    low, high = mover_difference(p, (observed.ci_low, observed.ci_high), b, (b - down, b + up))
    se_b = (
        (benchmark.ci_high - benchmark.ci_low) / (2.0 * z_quantile(benchmark.confidence))
        if benchmark.has_interval
        else 0.0
    )
    se0 = math.sqrt(b * (1.0 - b) / n + se_b**2)
    z = (p - b) / se0
    pval = float(2.0 * stats.norm.sf(abs(z)))
    caveats: list[str] = [*observed.caveats, EXTERNAL]
    if match.mapping:
        caveats.append(f"definitions mapped: {match.mapping}")
    if not benchmark.has_interval:
        caveats.append(NO_BENCHMARK_INTERVAL)
    return Estimate(
        quantity=f"responder rate minus benchmark ({benchmark.description})",
        estimate=p - b,
        ci_low=low,
        ci_high=high,
        confidence=conf,
        n=n,
        method=(
            "difference from benchmark; MOVER interval (Wilson interval ⊕ benchmark interval "
            "in quadrature); z-test with benchmark SE"
        ),
        comparator=f"{benchmark.description} — {benchmark.citation}",
        caveats=tuple(dict.fromkeys(caveats)),
        p_value=pval,
        details={
            "observed": p,
            "benchmark": b,
            "benchmark_se": se_b,
            "z": z,
            "definition": definition,
            "benchmark_definition": benchmark.responder_definition,
        },
    )


def compare_change_with_benchmark(
    observed: Estimate, benchmark: Benchmark, *, direction: Direction | None = None
) -> Estimate:
    """Observed standardized (or raw) change minus a benchmark change, as *extra improvement*.

    Parameters
    ----------
    observed : Estimate
        A within-group change from :mod:`neuroregen.stats.within` (d_av recommended).
    benchmark : Benchmark
        A STANDARDIZED_MEAN_CHANGE or MEAN_CHANGE benchmark.
    direction : Direction, optional
        Direction of the observed scale; defaults to ``observed.details["direction"]``.

    Returns
    -------
    Estimate
        Δ = improvement_observed − improvement_benchmark, where improvement = sign × change.
        Positive means our children improved more than the benchmark group did.

    Notes
    -----
    Both changes are first turned into improvements (sign +1 when higher is better), so an
    ATEC fall and a placebo SMC of −0.36 are compared on the same footing. Interval: MOVER
    from the observed interval and the benchmark's published interval (quadrature on each
    side). p-value: z = Δ/√(SE_obs² + SE_b²), SE_x = (upper − lower)/(2·z) from each interval.

    Standardizers may differ: published SMCs are usually change/SD at baseline, closer to
    d_av than to d_z; comparing a d_z with them overstates our effect. A caveat says so.

    References
    ----------
    Zou GY, Donner A. *Stat Med* 2008;27:1693–1702. Siafis S et al. *Mol Autism*
    2020;11:66.

    Examples
    --------
    >>> from neuroregen.stats import Direction, Estimate
    >>> obs = Estimate("d_av, ATEC", -0.6, -0.9, -0.3, 0.95, 40, "d_av", "own baseline",
    ...                details={"direction": "higher_is_worse"})
    >>> cmp = compare_change_with_benchmark(obs, PLACEBO_SMC_CORE)
    >>> round(cmp.estimate, 2), round(cmp.ci_low, 3), round(cmp.ci_high, 3)
    (0.24, -0.076, 0.556)
    """
    if benchmark.kind not in (
        BenchmarkKind.STANDARDIZED_MEAN_CHANGE,
        BenchmarkKind.MEAN_CHANGE,
    ):
        raise ValueError(f"benchmark {benchmark.key} is not a change")
    if benchmark.direction is None:  # pragma: no cover - every change benchmark has one
        raise ValueError("benchmark direction unknown")
    if direction is None:
        raw = observed.details.get("direction")
        if raw is None:
            raise ValueError("pass direction: the observed estimate does not record it")
        direction = Direction(raw)
    conf = observed.confidence
    s_o, s_b = direction.sign, benchmark.direction.sign
    obs_imp = s_o * observed.estimate
    obs_lo, obs_hi = sorted((s_o * observed.ci_low, s_o * observed.ci_high))
    b_imp = s_b * benchmark.value
    down, up = benchmark.half_widths(conf)
    b_lo, b_hi = sorted((s_b * (benchmark.value - down), s_b * (benchmark.value + up)))
    low, high = mover_difference(obs_imp, (obs_lo, obs_hi), b_imp, (b_lo, b_hi))
    z_c = z_quantile(conf)
    se_o = (obs_hi - obs_lo) / (2.0 * z_c)
    se_b = (b_hi - b_lo) / (2.0 * z_c)
    se = math.sqrt(se_o**2 + se_b**2)
    diff = obs_imp - b_imp
    pval = float(2.0 * stats.norm.sf(abs(diff / se))) if se > 0 else None
    caveats: list[str] = [*observed.caveats, EXTERNAL]
    if benchmark.kind is BenchmarkKind.STANDARDIZED_MEAN_CHANGE:
        caveats.append(
            "standardizers may differ (benchmark SMCs divide by a score SD; d_z divides by "
            "the SD of change and is larger): compare d_av, not d_z"
        )
    if not benchmark.has_interval:
        caveats.append(NO_BENCHMARK_INTERVAL)
    return Estimate(
        quantity=f"improvement beyond benchmark ({benchmark.description})",
        estimate=diff,
        ci_low=low,
        ci_high=high,
        confidence=conf,
        n=observed.n,
        method="difference of improvements; MOVER interval; z-test from interval SEs",
        comparator=f"{benchmark.description} — {benchmark.citation}",
        caveats=tuple(dict.fromkeys(caveats)),
        p_value=pval,
        details={
            "observed_improvement": obs_imp,
            "benchmark_improvement": b_imp,
            "se_observed": se_o,
            "se_benchmark": se_b,
        },
    )
