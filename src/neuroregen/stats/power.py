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

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from neuroregen.stats.results import Estimate

__all__ = [
    "CARRYOVER",
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

CARRYOVER = (
    "a crossover assumes the first period's treatment has washed out before the second; cell "
    "therapies are meant to persist, so this assumption rarely holds for them"
)
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


# --------------------------------------------------------------------------------------------
# Closed forms
# --------------------------------------------------------------------------------------------


def _two_sided_nct_power(df: float, ncp: float, alpha: float) -> float:
    crit = stats.t.ppf(1 - alpha / 2, df)
    return float(stats.nct.sf(crit, df, ncp) + stats.nct.cdf(-crit, df, ncp))


def power_two_sample_t(n_per_arm: int, delta: float, sd: float, alpha: float = 0.05) -> float:
    """Exact power of the two-sided pooled two-sample t-test (equal arms).

    Formula: ``df = 2n − 2``, ``λ = δ / (σ sqrt(2/n))``,
    ``power = P(T'_{df,λ} > t_{1−α/2,df}) + P(T'_{df,λ} < −t_{1−α/2,df})`` with T' noncentral t.

    Parameters
    ----------
    n_per_arm : int
    delta : float
        True difference in means.
    sd : float
        Common within-arm SD.
    alpha : float

    Returns
    -------
    float

    Assumptions
    -----------
    Normal outcomes with equal variances.

    Missing data
    ------------
    Assumes complete data; inflate n for expected dropout.

    References
    ----------
    Cohen J. Statistical Power Analysis for the Behavioral Sciences, 2nd ed. 1988, ch. 2.

    Examples
    --------
    >>> round(power_two_sample_t(64, 0.5, 1.0), 3)
    0.801
    """
    _check_common(alpha)
    if n_per_arm < 2 or sd <= 0:
        raise ValueError("need n_per_arm ≥ 2 and sd > 0")
    ncp = delta / (sd * math.sqrt(2 / n_per_arm))
    return _two_sided_nct_power(2 * n_per_arm - 2, ncp, alpha)


def power_paired_t(
    n: int, delta: float, sd: float, within_corr: float, alpha: float = 0.05
) -> float:
    """Exact power of the two-sided paired (one-sample) t-test on within-person differences.

    Formula: ``σ_d = σ sqrt(2(1 − ρ))``, ``λ = δ sqrt(n)/σ_d``, df = n − 1.

    Parameters
    ----------
    n : int
        Pairs.
    delta, sd : float
        Mean difference and the SD of a single measurement.
    within_corr : float
        Correlation ρ between a person's two measurements.
    alpha : float

    Returns
    -------
    float

    Assumptions
    -----------
    Normal differences; no period effect.

    Missing data
    ------------
    Complete pairs only.

    References
    ----------
    Julious SA. Sample Sizes for Clinical Trials. CRC 2010, ch. 3.

    Examples
    --------
    >>> round(power_paired_t(34, 0.5, 1.0, 0.5), 3)
    0.808
    """
    _check_common(alpha)
    _check_corr(within_corr)
    sd_d = sd * math.sqrt(2 * (1 - within_corr))
    return _two_sided_nct_power(n - 1, delta * math.sqrt(n) / sd_d, alpha)


def power_crossover_t(
    n_total: int, delta: float, sd: float, within_corr: float, alpha: float = 0.05
) -> float:
    """Exact power of the standard AB/BA crossover analysis (balanced sequences).

    The treatment effect is estimated from period differences ``d_i = y_i1 − y_i2`` as
    ``(mean d_AB − mean d_BA)/2`` and tested by a two-sample t on the d's (period effects
    cancel). Formula: ``λ = δ / sqrt(2σ²(1 − ρ)/n)``, df = n − 2.

    Parameters
    ----------
    n_total : int
        Participants (even; n/2 per sequence).
    delta, sd, within_corr : float
    alpha : float

    Returns
    -------
    float

    Assumptions
    -----------
    No carry-over; normal outcomes; exchangeable within-person correlation.

    Missing data
    ------------
    Complete participants only.

    References
    ----------
    Jones B, Kenward MG. Design and Analysis of Cross-Over Trials, 3rd ed. CRC 2014, ch. 2.
    Senn S. Cross-over Trials in Clinical Research, 2nd ed. Wiley 2002.

    Examples
    --------
    >>> round(power_crossover_t(34, 0.5, 1.0, 0.5), 3)
    0.807
    """
    _check_common(alpha)
    _check_corr(within_corr)
    if n_total < 4 or n_total % 2:
        raise ValueError("n_total must be even and at least 4")
    ncp = delta / math.sqrt(2 * sd**2 * (1 - within_corr) / n_total)
    return _two_sided_nct_power(n_total - 2, ncp, alpha)


def power_two_proportions(
    n_per_arm: int, p_control: float, p_treatment: float, alpha: float = 0.05
) -> float:
    """Normal-approximation power of the pooled two-proportion z-test (no continuity correction).

    Formula (Fleiss et al. 2003, eq. 4.14 solved for power):
    ``power = Φ((|Δ| sqrt(n) − z_{1−α/2} sqrt(2 p̄ q̄)) / sqrt(p1 q1 + p2 q2))``, p̄ = (p1 + p2)/2
    (the far tail is ignored).

    Parameters
    ----------
    n_per_arm : int
    p_control, p_treatment : float
    alpha : float

    Returns
    -------
    float

    Assumptions
    -----------
    Large-sample normal approximation; poor when n p is small.

    Missing data
    ------------
    Complete data.

    References
    ----------
    Fleiss JL, Levin B, Paik MC. Statistical Methods for Rates and Proportions, 3rd ed. Wiley
    2003, section 4.2.

    Examples
    --------
    >>> round(power_two_proportions(100, 0.19, 0.40, 0.05), 3)
    0.91
    """
    _check_common(alpha)
    _check_prob(p_control)
    _check_prob(p_treatment)
    z = stats.norm.ppf(1 - alpha / 2)
    pbar = (p_control + p_treatment) / 2
    num = abs(p_treatment - p_control) * math.sqrt(n_per_arm) - z * math.sqrt(2 * pbar * (1 - pbar))
    den = math.sqrt(p_control * (1 - p_control) + p_treatment * (1 - p_treatment))
    return float(stats.norm.cdf(num / den))


def power_mcnemar(n: int, p10: float, p01: float, alpha: float = 0.05) -> float:
    """Normal-approximation power of McNemar's test (Connor 1987).

    Formula: ``ψ = p10 + p01`` (discordant probability), ``δ = p10 − p01``,
    ``power = Φ((|δ| sqrt(n) − z_{1−α/2} sqrt(ψ)) / sqrt(ψ − δ²))``.

    Parameters
    ----------
    n : int
        Pairs.
    p10, p01 : float
        Probabilities of the two discordant outcomes (responds on treatment only / on
        control only).
    alpha : float

    Returns
    -------
    float

    Assumptions
    -----------
    Large-sample approximation; no period effect.

    Missing data
    ------------
    Complete pairs.

    References
    ----------
    Connor RJ. Sample size for testing differences in proportions for the paired-sample design.
    Biometrics 1987;43:207–11.

    Examples
    --------
    >>> round(power_mcnemar(100, 0.25, 0.10), 3)
    0.724
    """
    _check_common(alpha)
    psi, d = p10 + p01, p10 - p01
    if not 0 < psi <= 1 or p10 < 0 or p01 < 0:
        raise ValueError("discordant probabilities must be non-negative and sum to (0, 1]")
    z = stats.norm.ppf(1 - alpha / 2)
    num = abs(d) * math.sqrt(n) - z * math.sqrt(psi)
    return float(stats.norm.cdf(num / math.sqrt(psi - d**2)))


def _discordant_probabilities(
    p_control: float, p_treatment: float, within_corr: float
) -> tuple[float, float]:
    """p10, p01 of the latent bivariate-normal (tetrachoric) model used for crossover responders."""
    a = stats.norm.ppf(p_treatment)
    b = stats.norm.ppf(p_control)
    if within_corr == 0:
        p11 = p_treatment * p_control
    else:
        cov = [[1.0, within_corr], [within_corr, 1.0]]
        p11 = float(stats.multivariate_normal(mean=[0, 0], cov=cov).cdf([a, b]))
    return p_treatment - p11, p_control - p11


# --------------------------------------------------------------------------------------------
# Simulation
# --------------------------------------------------------------------------------------------


def _check_common(alpha: float) -> None:
    if not 0 < alpha < 1:
        raise ValueError("alpha must lie in (0, 1)")


def _check_prob(p: float) -> None:
    if not 0 < p < 1:
        raise ValueError("probabilities must lie strictly between 0 and 1")


def _check_corr(r: float) -> None:
    if not 0 <= r < 1:
        raise ValueError("within-person correlation must lie in [0, 1)")


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


def simulate_parallel_continuous(
    n_per_arm: int,
    delta: float,
    sd: float,
    *,
    alpha: float = 0.05,
    n_sims: int = 10_000,
    seed: int = DEFAULT_SEED,
    confidence: float = 0.95,
) -> PowerResult:
    """Power of a 1:1 parallel trial with a normal outcome, analysed by the pooled t-test.

    Each trial draws ``n_per_arm`` outcomes per arm, ``N(0, σ²)`` (control) and
    ``N(δ, σ²)`` (treated); the trial rejects when ``|t| > t_{1−α/2, 2n−2}`` with
    ``t = (ȳ_T − ȳ_C) / (s_p sqrt(2/n))``. Closed form: :func:`power_two_sample_t`.

    Parameters
    ----------
    n_per_arm : int
    delta : float
        True treatment effect in outcome units (sign irrelevant: two-sided).
    sd : float
        Within-arm SD.
    alpha : float
    n_sims : int
    seed : int
    confidence : float
        Level of the Monte-Carlo interval.

    Returns
    -------
    PowerResult

    Assumptions
    -----------
    Normal, homoscedastic outcomes; no dropout.

    Missing data
    ------------
    None simulated: inflate n for expected dropout.

    References
    ----------
    Morris TP, White IR, Crowther MJ. Using simulation studies to evaluate statistical methods.
    Stat Med 2019;38:2074–102.

    Examples
    --------
    >>> res = simulate_parallel_continuous(64, 0.5, 1.0, n_sims=2000, seed=1)
    >>> round(res.closed_form, 3)
    0.801
    >>> abs(res.power.estimate - res.closed_form) < 4 * res.mc_se
    True
    """
    _check_common(alpha)
    if n_per_arm < 2 or sd <= 0:
        raise ValueError("need n_per_arm ≥ 2 and sd > 0")
    n = n_per_arm
    crit = float(stats.t.ppf(1 - alpha / 2, 2 * n - 2))

    def block(rng: np.random.Generator, m: int) -> np.ndarray:
        y = rng.standard_normal((m, 2, n))
        y *= sd
        y[:, 1, :] += delta
        means = y.mean(axis=2)
        var = y.var(axis=2, ddof=1)
        sp2 = var.mean(axis=1)
        t = (means[:, 1] - means[:, 0]) / np.sqrt(sp2 * 2 / n)
        return np.abs(t) > crit

    rng = np.random.default_rng(seed)
    rej = _count_rejections(n_sims, 2 * n, rng, block)
    return _result(
        design="parallel",
        outcome="continuous",
        test="pooled two-sample t-test",
        n_total=2 * n,
        alpha=alpha,
        n_sims=n_sims,
        seed=seed,
        rejections=rej,
        confidence=confidence,
        closed_form=power_two_sample_t(n, delta, sd, alpha),
        closed_form_method="noncentral t (exact)",
        settings={"n_per_arm": n, "delta": delta, "sd": sd},
    )


def simulate_parallel_responder(
    n_per_arm: int,
    p_control: float,
    p_treatment: float,
    *,
    alpha: float = 0.05,
    n_sims: int = 10_000,
    seed: int = DEFAULT_SEED,
    confidence: float = 0.95,
) -> PowerResult:
    """Power of a 1:1 parallel trial with a responder outcome, analysed by the pooled z-test.

    Each trial draws the number of responders per arm, ``Binomial(n, p)`` (the exact
    distribution of the count of n independent participants), and rejects when
    ``|z| > z_{1−α/2}`` with ``z = (p̂_T − p̂_C)/sqrt(p̄(1 − p̄) 2/n)`` (equivalent to the
    Pearson χ² test without continuity correction). Closed form:
    :func:`power_two_proportions`.

    Parameters
    ----------
    n_per_arm : int
    p_control, p_treatment : float
        True responder probabilities (e.g. 0.19, the placebo CGI-I ≤ 2 rate of Siafis 2020).
    alpha, n_sims, seed, confidence
        As for :func:`simulate_parallel_continuous`.

    Returns
    -------
    PowerResult

    Assumptions
    -----------
    Independent participants; the same responder definition in both arms.

    Missing data
    ------------
    None simulated. Counting dropouts as non-responders changes both p's.

    References
    ----------
    Fleiss JL, Levin B, Paik MC. Statistical Methods for Rates and Proportions, 3rd ed. 2003.

    Examples
    --------
    >>> res = simulate_parallel_responder(100, 0.19, 0.40, n_sims=2000, seed=1)
    >>> round(res.closed_form, 2)
    0.91
    >>> res.power.ci_low < res.power.estimate < res.power.ci_high
    True
    """
    _check_common(alpha)
    _check_prob(p_control)
    _check_prob(p_treatment)
    n = n_per_arm
    if n < 1:
        raise ValueError("n_per_arm must be positive")
    z_crit = float(stats.norm.ppf(1 - alpha / 2))

    def block(rng: np.random.Generator, m: int) -> np.ndarray:
        x_c = rng.binomial(n, p_control, size=m)
        x_t = rng.binomial(n, p_treatment, size=m)
        pbar = (x_c + x_t) / (2 * n)
        var = pbar * (1 - pbar) * 2 / n
        diff = (x_t - x_c) / n
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(var > 0, diff / np.sqrt(np.where(var > 0, var, 1.0)), 0.0)
        return np.abs(z) > z_crit

    rng = np.random.default_rng(seed)
    rej = _count_rejections(n_sims, 2, rng, block)
    return _result(
        design="parallel",
        outcome="responder",
        test="pooled two-proportion z-test",
        n_total=2 * n,
        alpha=alpha,
        n_sims=n_sims,
        seed=seed,
        rejections=rej,
        confidence=confidence,
        closed_form=power_two_proportions(n, p_control, p_treatment, alpha),
        closed_form_method="normal approximation (Fleiss)",
        settings={"n_per_arm": n, "p_control": p_control, "p_treatment": p_treatment},
    )


def simulate_crossover_continuous(
    n_total: int,
    delta: float,
    sd: float,
    within_corr: float,
    *,
    period_effect: float = 0.0,
    alpha: float = 0.05,
    n_sims: int = 10_000,
    seed: int = DEFAULT_SEED,
    confidence: float = 0.95,
) -> PowerResult:
    """Power of an AB/BA crossover with a normal outcome.

    Model: ``y_ij = s_i + π·[j = 2] + δ·[treated in period j] + e_ij`` with
    ``s_i ~ N(0, ρσ²)``, ``e_ij ~ N(0, (1 − ρ)σ²)`` (total SD σ, within-person correlation ρ);
    half the participants receive AB, half BA. Each trial is analysed by the standard
    period-adjusted test: a two-sample t on period differences ``d_i = y_i1 − y_i2`` between
    sequences, df = n − 2 (period effects cancel, so ``period_effect`` affects only the data,
    not the power). Closed form: :func:`power_crossover_t` (exact).

    Parameters
    ----------
    n_total : int
        Participants (even).
    delta : float
        Treatment effect.
    sd : float
        Total SD of one measurement.
    within_corr : float
        ρ, correlation of a participant's two measurements.
    period_effect : float
        Shift of every period-2 measurement (natural history, season, learning).
    alpha, n_sims, seed, confidence
        As for :func:`simulate_parallel_continuous`.

    Returns
    -------
    PowerResult

    Assumptions
    -----------
    No carry-over (see :data:`CARRYOVER`); no treatment-by-period interaction.

    Missing data
    ------------
    None simulated; a participant missing a period is lost to this analysis.

    References
    ----------
    Jones B, Kenward MG. Design and Analysis of Cross-Over Trials, 3rd ed. 2014, ch. 2.

    Examples
    --------
    >>> res = simulate_crossover_continuous(34, 0.5, 1.0, 0.5, period_effect=0.3,
    ...                                     n_sims=2000, seed=1)
    >>> round(res.closed_form, 3)
    0.807
    >>> CARRYOVER in res.caveats
    True
    """
    _check_common(alpha)
    _check_corr(within_corr)
    if n_total < 4 or n_total % 2:
        raise ValueError("n_total must be even and at least 4")
    n = n_total
    half = n // 2
    crit = float(stats.t.ppf(1 - alpha / 2, n - 2))
    s_sd = sd * math.sqrt(within_corr)
    e_sd = sd * math.sqrt(1 - within_corr)
    # treatment indicator per (participant, period): first half AB, second half BA
    treated = np.zeros((n, 2))
    treated[:half, 0] = 1.0
    treated[half:, 1] = 1.0
    shift = delta * treated + np.array([0.0, period_effect])

    def block(rng: np.random.Generator, m: int) -> np.ndarray:
        subj = rng.standard_normal((m, n, 1)) * s_sd
        y = rng.standard_normal((m, n, 2)) * e_sd + subj + shift
        d = y[:, :, 0] - y[:, :, 1]
        d_ab, d_ba = d[:, :half], d[:, half:]
        est = (d_ab.mean(axis=1) - d_ba.mean(axis=1)) / 2
        sp2 = (d_ab.var(axis=1, ddof=1) + d_ba.var(axis=1, ddof=1)) / 2
        se = np.sqrt(sp2 * (2 / half)) / 2
        return np.abs(est / se) > crit

    rng = np.random.default_rng(seed)
    rej = _count_rejections(n_sims, 3 * n, rng, block)
    return _result(
        design="crossover (AB/BA)",
        outcome="continuous",
        test="two-sample t on period differences (period-adjusted)",
        n_total=n,
        alpha=alpha,
        n_sims=n_sims,
        seed=seed,
        rejections=rej,
        confidence=confidence,
        closed_form=power_crossover_t(n, delta, sd, within_corr, alpha),
        closed_form_method="noncentral t on period differences, df = n − 2 (exact)",
        settings={
            "delta": delta,
            "sd": sd,
            "within_corr": within_corr,
            "period_effect": period_effect,
        },
        caveats=(CARRYOVER,),
    )


def simulate_crossover_responder(
    n_total: int,
    p_control: float,
    p_treatment: float,
    within_corr: float,
    *,
    period_effect: float = 0.0,
    alpha: float = 0.05,
    n_sims: int = 10_000,
    seed: int = DEFAULT_SEED,
    confidence: float = 0.95,
) -> PowerResult:
    """Power of an AB/BA crossover with a responder outcome, analysed by McNemar's test.

    Model: a latent normal ``Z_ij = sqrt(ρ) s_i + sqrt(1 − ρ) e_ij``; the participant responds
    in period j when ``Z_ij < Φ⁻¹(p) + π·[j = 2]`` with p the responder probability of the
    treatment received (so ρ is the tetrachoric within-person correlation and π a period
    effect on the probit scale). Each trial counts discordant pairs b (responds on treatment
    only) and c (on control only) and rejects when ``|b − c|/sqrt(b + c) > z_{1−α/2}``.
    Closed form (no period effect): :func:`power_mcnemar` with discordant probabilities from
    the bivariate normal.

    Parameters
    ----------
    n_total : int
        Participants (even).
    p_control, p_treatment : float
    within_corr : float
        ρ on the latent scale.
    period_effect : float
        Probit-scale shift in period 2. McNemar's test ignores periods; with balanced
        sequences a period effect adds noise but no bias. The closed form assumes none.
    alpha, n_sims, seed, confidence
        As for :func:`simulate_parallel_continuous`.

    Returns
    -------
    PowerResult

    Assumptions
    -----------
    No carry-over (see :data:`CARRYOVER`); latent bivariate normal dependence.

    Missing data
    ------------
    None simulated.

    References
    ----------
    McNemar Q. Psychometrika 1947;12:153–7. Connor RJ. Biometrics 1987;43:207–11.

    Examples
    --------
    >>> res = simulate_crossover_responder(100, 0.19, 0.40, 0.5, n_sims=2000, seed=1)
    >>> 0.0 < res.power.estimate < 1.0
    True
    """
    _check_common(alpha)
    _check_prob(p_control)
    _check_prob(p_treatment)
    _check_corr(within_corr)
    if n_total < 2 or n_total % 2:
        raise ValueError("n_total must be even")
    n = n_total
    half = n // 2
    z_crit = float(stats.norm.ppf(1 - alpha / 2))
    thr_t, thr_c = float(stats.norm.ppf(p_treatment)), float(stats.norm.ppf(p_control))
    # thresholds per (participant, period); column 0 = period 1
    thr = np.empty((n, 2))
    thr[:half, 0], thr[:half, 1] = thr_t, thr_c  # AB
    thr[half:, 0], thr[half:, 1] = thr_c, thr_t  # BA
    thr[:, 1] += period_effect
    treated_period = np.zeros(n, dtype=int)
    treated_period[half:] = 1
    a_s, a_e = math.sqrt(within_corr), math.sqrt(1 - within_corr)
    rows = np.arange(n)

    def block(rng: np.random.Generator, m: int) -> np.ndarray:
        z = a_s * rng.standard_normal((m, n, 1)) + a_e * rng.standard_normal((m, n, 2))
        resp = z < thr
        on_t = resp[:, rows, treated_period]
        on_c = resp[:, rows, 1 - treated_period]
        b = np.count_nonzero(on_t & ~on_c, axis=1)
        c = np.count_nonzero(~on_t & on_c, axis=1)
        disc = b + c
        with np.errstate(divide="ignore", invalid="ignore"):
            stat = np.where(disc > 0, (b - c) / np.sqrt(np.where(disc > 0, disc, 1)), 0.0)
        return np.abs(stat) > z_crit

    rng = np.random.default_rng(seed)
    rej = _count_rejections(n_sims, 3 * n, rng, block)
    p10, p01 = _discordant_probabilities(p_control, p_treatment, within_corr)
    closed = power_mcnemar(n, p10, p01, alpha) if period_effect == 0 else None
    return _result(
        design="crossover (AB/BA)",
        outcome="responder",
        test="McNemar test (asymptotic, no continuity correction)",
        n_total=n,
        alpha=alpha,
        n_sims=n_sims,
        seed=seed,
        rejections=rej,
        confidence=confidence,
        closed_form=closed,
        closed_form_method=(
            "Connor (1987) normal approximation"
            if closed is not None
            else "none with a period effect"
        ),
        settings={
            "p_control": p_control,
            "p_treatment": p_treatment,
            "within_corr": within_corr,
            "period_effect": period_effect,
            "p10": p10,
            "p01": p01,
        },
        caveats=(CARRYOVER,),
    )
