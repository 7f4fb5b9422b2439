"""Closed-form power of the designs that have one (noncentral t, normal approximations).

The simulations (:mod:`neuroregen.stats.power_designs`) report these beside their own estimate,
as a check on both.
"""

from __future__ import annotations

import math

from scipy import stats

__all__ = [
    "power_crossover_t",
    "power_mcnemar",
    "power_paired_t",
    "power_two_proportions",
    "power_two_sample_t",
]


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


def _check_common(alpha: float) -> None:
    if not 0 < alpha < 1:
        raise ValueError("alpha must lie in (0, 1)")


def _check_prob(p: float) -> None:
    if not 0 < p < 1:
        raise ValueError("probabilities must lie strictly between 0 and 1")


def _check_corr(r: float) -> None:
    if not 0 <= r < 1:
        raise ValueError("within-person correlation must lie in [0, 1)")
