"""Tests for neuroregen.stats.power: closed forms against published tables, simulations against
exact closed forms or exact enumeration within Monte-Carlo error.

Monte-Carlo tolerance: a simulated power p̂ from m trials has SE sqrt(p(1 − p)/m); tests accept
|p̂ − p| ≤ 4 SE (two-sided false-alarm rate ≈ 6e-5 per check, and the seeds are fixed).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from scipy import stats

from neuroregen.stats import power_designs, power_engine
from neuroregen.stats.power import (
    CARRYOVER,
    power_crossover_t,
    power_mcnemar,
    power_paired_t,
    power_two_proportions,
    power_two_sample_t,
    simulate_crossover_continuous,
    simulate_crossover_responder,
    simulate_parallel_continuous,
    simulate_parallel_responder,
)

N_SIMS = 4000


def within_mc(simulated: float, truth: float, n_sims: int, k: float = 4.0) -> bool:
    se = math.sqrt(truth * (1 - truth) / n_sims)
    return abs(simulated - truth) <= k * se


def exact_pooled_z_power(n: int, p_c: float, p_t: float, alpha: float) -> float:
    """Exact power of the pooled two-proportion z-test by enumerating both binomial counts."""
    x = np.arange(n + 1)
    xc, xt = np.meshgrid(x, x, indexing="ij")
    pbar = (xc + xt) / (2 * n)
    var = pbar * (1 - pbar) * 2 / n
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(var > 0, (xt - xc) / n / np.sqrt(var), 0.0)
    prob = np.outer(stats.binom.pmf(x, n, p_c), stats.binom.pmf(x, n, p_t))
    return float(prob[np.abs(z) > stats.norm.ppf(1 - alpha / 2)].sum())


def exact_mcnemar_power(n: int, p10: float, p01: float, alpha: float) -> float:
    """Exact power of the asymptotic McNemar test by enumerating the multinomial (b, c)."""
    crit = stats.norm.ppf(1 - alpha / 2)
    psi = p10 + p01
    total = 0.0
    for m in range(1, n + 1):  # number of discordant pairs
        pm = stats.binom.pmf(m, n, psi)
        b = np.arange(m + 1)
        stat = np.abs(2 * b - m) / math.sqrt(m)
        total += pm * stats.binom.pmf(b, m, p10 / psi)[stat > crit].sum()
    return float(total)


class TestClosedForms:
    def test_two_sample_t_cohen_table(self) -> None:
        # Cohen (1988) Table 2.4.1: d = 0.5, two-sided α = 0.05, n = 64 per group → power 0.80;
        # exact noncentral-t value 0.8015 (G*Power 3, t-test two independent means).
        assert power_two_sample_t(64, 0.5, 1.0) == pytest.approx(0.8015, abs=5e-4)

    def test_paired_t_gpower(self) -> None:
        # G*Power 3 (one-sample/matched pairs t, dz = 0.5, α = 0.05 two-sided): n = 34 gives
        # actual power 0.8078. With ρ = 0.5, σ_d = σ, so dz = δ/σ = 0.5.
        assert power_paired_t(34, 0.5, 1.0, 0.5) == pytest.approx(0.8078, abs=5e-4)

    def test_crossover_uses_n_minus_2_df(self) -> None:
        # Hand: λ = 0.5 / sqrt(2·1·0.5/34) = 2.9155, df = 32.
        ncp = 0.5 / math.sqrt(2 * 0.5 / 34)
        crit = stats.t.ppf(0.975, 32)
        expected = stats.nct.sf(crit, 32, ncp) + stats.nct.cdf(-crit, 32, ncp)
        assert power_crossover_t(34, 0.5, 1.0, 0.5) == pytest.approx(expected, rel=1e-10)
        assert power_crossover_t(34, 0.5, 1.0, 0.5) < power_paired_t(34, 0.5, 1.0, 0.5)

    def test_two_proportions_fleiss_by_hand(self) -> None:
        # Hand: p̄ = 0.295; (0.21·10 − 1.959964·sqrt(2·0.295·0.705)) / sqrt(0.19·0.81 + 0.4·0.6)
        num = 0.21 * 10 - 1.959964 * math.sqrt(2 * 0.295 * 0.705)
        den = math.sqrt(0.19 * 0.81 + 0.40 * 0.60)
        assert power_two_proportions(100, 0.19, 0.40) == pytest.approx(
            stats.norm.cdf(num / den), abs=1e-6
        )

    def test_mcnemar_connor_by_hand(self) -> None:
        # Connor (1987): ψ = 0.35, δ = 0.15, n = 100.
        z = (0.15 * 10 - 1.959964 * math.sqrt(0.35)) / math.sqrt(0.35 - 0.15**2)
        assert power_mcnemar(100, 0.25, 0.10) == pytest.approx(stats.norm.cdf(z), abs=1e-6)

    def test_invalid_inputs(self) -> None:
        with pytest.raises(ValueError, match="alpha"):
            power_two_sample_t(10, 1, 1, alpha=1.5)
        with pytest.raises(ValueError, match="correlation"):
            power_paired_t(10, 1, 1, within_corr=1.0)
        with pytest.raises(ValueError, match="even"):
            power_crossover_t(11, 1, 1, 0.5)
        with pytest.raises(ValueError, match="probabilities"):
            power_two_proportions(10, 0.0, 0.5)


class TestSimulation:
    def test_parallel_continuous_matches_noncentral_t(self) -> None:
        res = simulate_parallel_continuous(40, 0.5, 2.0, n_sims=N_SIMS, seed=11)
        closed = power_two_sample_t(40, 0.5, 2.0)
        assert res.closed_form == pytest.approx(closed)
        assert within_mc(res.power.estimate, closed, N_SIMS)
        assert res.power.ci_low <= res.power.estimate <= res.power.ci_high
        assert res.n_total == 80

    def test_parallel_continuous_type_one_error(self) -> None:
        res = simulate_parallel_continuous(20, 0.0, 1.0, n_sims=N_SIMS, seed=12)
        assert within_mc(res.power.estimate, 0.05, N_SIMS)

    def test_parallel_responder_matches_exact_enumeration(self) -> None:
        exact = exact_pooled_z_power(60, 0.19, 0.40, 0.05)
        res = simulate_parallel_responder(60, 0.19, 0.40, n_sims=N_SIMS, seed=13)
        assert within_mc(res.power.estimate, exact, N_SIMS)
        # and the normal approximation is close to the exact value at this n
        assert res.closed_form == pytest.approx(exact, abs=0.03)

    def test_crossover_continuous_with_period_effect_matches_closed_form(self) -> None:
        res = simulate_crossover_continuous(
            30, 0.4, 1.0, 0.6, period_effect=1.5, n_sims=N_SIMS, seed=14
        )
        closed = power_crossover_t(30, 0.4, 1.0, 0.6)
        assert res.closed_form == pytest.approx(closed)
        assert within_mc(res.power.estimate, closed, N_SIMS)
        assert CARRYOVER in res.caveats
        assert CARRYOVER in res.power.caveats

    def test_crossover_continuous_type_one_error_despite_period_effect(self) -> None:
        # a naive paired test would reject far too often with a large period effect
        res = simulate_crossover_continuous(
            30, 0.0, 1.0, 0.6, period_effect=2.0, n_sims=N_SIMS, seed=15
        )
        assert within_mc(res.power.estimate, 0.05, N_SIMS)

    def test_crossover_responder_matches_exact_mcnemar(self) -> None:
        p10, p01 = power_designs._discordant_probabilities(0.19, 0.40, 0.5)
        # the latent model reproduces the marginals: P(T) = p11 + p10 and P(C) = p11 + p01
        assert p10 - p01 == pytest.approx(0.40 - 0.19, abs=1e-9)
        exact = exact_mcnemar_power(80, p10, p01, 0.05)
        res = simulate_crossover_responder(80, 0.19, 0.40, 0.5, n_sims=N_SIMS, seed=16)
        assert within_mc(res.power.estimate, exact, N_SIMS)
        assert res.closed_form == pytest.approx(exact, abs=0.03)

    def test_crossover_responder_type_one_error(self) -> None:
        # zero effect, ρ = 0: p10 = p01 = 0.3·0.7; the rejection rate matches the exact size of
        # the asymptotic McNemar test
        res = simulate_crossover_responder(80, 0.3, 0.3, 0.0, n_sims=N_SIMS, seed=17)
        assert within_mc(res.power.estimate, exact_mcnemar_power(80, 0.21, 0.21, 0.05), N_SIMS)

    def test_period_effect_removes_closed_form_for_responders(self) -> None:
        res = simulate_crossover_responder(40, 0.2, 0.4, 0.5, period_effect=0.3, n_sims=500, seed=1)
        assert res.closed_form is None
        assert "none" in res.closed_form_method

    def test_seed_reproduces_and_differs(self) -> None:
        a = simulate_parallel_continuous(10, 0.5, 1.0, n_sims=500, seed=3)
        b = simulate_parallel_continuous(10, 0.5, 1.0, n_sims=500, seed=3)
        c = simulate_parallel_continuous(10, 0.5, 1.0, n_sims=500, seed=4)
        assert a.power.estimate == b.power.estimate
        assert a.power.estimate != c.power.estimate

    def test_blocks_cover_every_trial(self, monkeypatch: pytest.MonkeyPatch) -> None:
        # tiny blocks (7 trials each for n = 30) and a certain rejection: all 1001 trials count
        monkeypatch.setattr(power_engine, "_BLOCK_ELEMENTS", 7 * 60)
        res = simulate_parallel_continuous(30, 10.0, 1.0, n_sims=1001, seed=5)
        assert res.power.estimate == 1.0
        assert res.n_sims == res.power.n == 1001

    def test_result_reports_interval_and_is_frozen(self) -> None:
        res = simulate_parallel_responder(50, 0.2, 0.5, n_sims=400, seed=2)
        assert "Wilson" in res.power.method
        assert res.power.details["seed"] == 2
        assert "simulated power" in res.as_text()
        with pytest.raises(dataclasses.FrozenInstanceError):
            res.n_sims = 1  # type: ignore[misc]
