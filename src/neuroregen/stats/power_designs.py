"""Power by simulation of each design: two-arm parallel (1:1) and two-period, two-sequence (AB/BA)
crossover, with a continuous or a responder outcome.

Crossover designs assume no carry-over. Cell therapies are meant to persist (engraft, remodel),
so for them a crossover is rarely defensible; the caveat travels with every crossover result.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from neuroregen.stats.power_engine import DEFAULT_SEED, PowerResult, _count_rejections, _result
from neuroregen.stats.power_formulas import (
    _check_common,
    _check_corr,
    _check_prob,
    power_crossover_t,
    power_mcnemar,
    power_two_proportions,
    power_two_sample_t,
)

__all__ = [
    "CARRYOVER",
    "simulate_crossover_continuous",
    "simulate_crossover_responder",
    "simulate_parallel_continuous",
    "simulate_parallel_responder",
]


CARRYOVER = (
    "a crossover assumes the first period's treatment has washed out before the second; cell "
    "therapies are meant to persist, so this assumption rarely holds for them"
)


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
