"""Treated − concurrent control: the effect estimates of a controlled protocol.

Where a protocol has a concurrent control arm (placebo, vehicle, sham, waitlist, delayed start,
usual care), the effect of the therapy is the difference between arms, not the change within
one. Three estimates, each per measure and phase, all *treated − control* on the instrument's
own scale (``details["improvement"]`` gives the direction-aware value, positive = treated
children doing better):

* :func:`ancova_change` — change from baseline compared between arms, adjusted for baseline
  (ANCOVA; Vickers & Altman 2001);
* :func:`responder_difference` — responder risk difference (Newcombe hybrid score interval)
  and risk ratio (Katz log interval) between arms;
* :func:`arm_phase_mixed_model` — a linear mixed model with arm × phase, whose interaction
  terms are the between-arm differences in change from baseline at each phase.

``n`` of every estimate is children; a model's observations are in ``details``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from neuroregen.stats._common import InsufficientDataError, check_confidence
from neuroregen.stats._intercept import ENGINE, fit_random_intercept
from neuroregen.stats.between_means import ancova_treatment_effect
from neuroregen.stats.mixed import MAR_ASSUMPTION, WALD_SMALL_SAMPLE
from neuroregen.stats.results import SMALL_N, Direction, Estimate, _replace
from neuroregen.stats.text import exception_reason, text
from neuroregen.stats.two_proportions import risk_difference, risk_ratio

__all__ = [
    "ArmPhaseModel",
    "ancova_change",
    "arm_phase_mixed_model",
    "concurrent_comparator",
    "responder_difference",
]


def concurrent_comparator(control: str) -> str:
    """The comparator text of every between-arm estimate: it names the control arm."""
    return text("concurrent control arm {control}", control=control)


def ancova_change(
    baseline: npt.ArrayLike,
    follow_up: npt.ArrayLike,
    treated: npt.ArrayLike,
    *,
    direction: Direction,
    label: str,
    control: str,
    confidence: float = 0.95,
    caveats: Sequence[str] = (),
) -> Estimate:
    """Baseline-adjusted difference in change from baseline, treated − control.

    Model: ``change_i = β0 + β1·baseline_i + τ·treated_i + ε_i`` by OLS. Because
    change = follow-up − baseline, τ equals the treatment coefficient of
    ``follow-up ~ baseline + treated`` (only the baseline slope shifts by one), so this is
    :func:`~neuroregen.stats.between.ancova_treatment_effect` on change. Interval
    τ̂ ± t_{n−3}·SE(τ̂).

    Missing data: children without baseline or follow-up are left out (complete cases) and
    counted in ``details["n_dropped_missing"]``.

    Parameters
    ----------
    baseline, follow_up : array_like
        One value per child.
    treated : array_like of bool
        True for children in the treated arm(s), False for the control arm.
    direction : Direction
        Which way is better on the instrument.
    label : str
        Measure and phase, for the quantity text.
    control : str
        Control arm code (named as comparator).

    Examples
    --------
    >>> est = ancova_change([60, 55, 70, 48, 66, 58, 62, 51], [50, 49, 58, 45, 64, 57, 60, 50],
    ...                     [1, 1, 1, 1, 0, 0, 0, 0], direction=Direction.HIGHER_IS_WORSE,
    ...                     label="ATEC total, late", control="vehicle-in")
    >>> round(est.estimate, 2), est.details["n_treated"], est.details["n_control"]
    (-6.56, 4, 4)
    """
    base = np.asarray(baseline, dtype=float)
    follow = np.asarray(follow_up, dtype=float)
    arm = np.asarray(treated, dtype=bool)
    frame = pd.DataFrame({"change": follow - base, "baseline": base, "treated": arm})
    est = ancova_treatment_effect(
        frame,
        outcome="change",
        baseline="baseline",
        group="treated",
        treated_value=True,
        direction=direction,
        confidence=confidence,
        label=label,
        comparator=concurrent_comparator(control),
    )
    return _replace(
        est,
        quantity=f"baseline-adjusted difference in change from baseline, {label} "
        "(treated − control)",
        method="ANCOVA (OLS: change ~ baseline + treated)",
        caveats=tuple(dict.fromkeys((*est.caveats, *caveats))),
        details={**est.details, "control_arm": control},
    )


def responder_difference(
    responders_treated: int,
    n_treated: int,
    responders_control: int,
    n_control: int,
    *,
    definition: str,
    control: str,
    confidence: float = 0.95,
    caveats: Sequence[str] = (),
) -> tuple[Estimate, Estimate]:
    """Responder risk difference and risk ratio, treated − (or ÷) control.

    The risk difference uses Newcombe's hybrid score interval (method 10), the risk ratio the
    Katz log interval (0.5 added to every cell when one is zero); see
    :func:`~neuroregen.stats.proportions.risk_difference` and
    :func:`~neuroregen.stats.proportions.risk_ratio`. Both estimates name the control arm as
    comparator and carry the responder definition.

    Examples
    --------
    >>> rd, rr = responder_difference(56, 70, 48, 80, definition="CGI-I ≤ 2",
    ...                               control="placebo")
    >>> round(rd.ci_low, 4), round(rd.ci_high, 4), round(rr.estimate, 3)
    (0.0524, 0.3339, 1.333)
    """
    comparator = concurrent_comparator(control)
    counts = {
        "responders_treated": responders_treated,
        "n_treated": n_treated,
        "responders_control": responders_control,
        "n_control": n_control,
        "definition": definition,
        "control_arm": control,
    }
    rd = risk_difference(
        responders_treated,
        n_treated,
        responders_control,
        n_control,
        confidence=confidence,
        label=f"responders ({definition})",
        comparator=comparator,
    )
    rr = risk_ratio(
        responders_treated,
        n_treated,
        responders_control,
        n_control,
        confidence=confidence,
        label=f"responders ({definition})",
        comparator=comparator,
    )
    out = [
        _replace(
            est,
            quantity=f"responder {name}, {definition} ({how})",
            caveats=tuple(dict.fromkeys((*est.caveats, *caveats))),
            details={**est.details, **counts},
        )
        for est, name, how in (
            (rd, "risk difference", "treated − control"),
            (rr, "risk ratio", "treated ÷ control"),
        )
    ]
    return out[0], out[1]


@dataclass(frozen=True)
class ArmPhaseModel:
    """Arm × phase mixed model: between-arm differences in change at each phase."""

    quantity: str
    phases: tuple[str, ...]
    differences: tuple[Estimate, ...]
    n_participants: int
    n_treated: int
    n_control: int
    n_observations: int
    n_excluded: int
    variance_components: dict[str, float]
    interaction_test: dict[str, float]
    method: str
    caveats: tuple[str, ...] = field(default=())


def arm_phase_mixed_model(
    data: pd.DataFrame,
    *,
    participant: str,
    phase: str,
    score: str,
    treated: str,
    phases: Sequence[str],
    control: str,
    direction: Direction,
    quantity: str,
    confidence: float = 0.95,
    caveats: Sequence[str] = (),
) -> ArmPhaseModel:
    """Linear mixed model ``score ~ phase * arm`` with a random intercept per child.

    Model: score_ij = β0 + Σ_k β_k[phase=k] + α·treated_i + Σ_k δ_k·treated_i·[phase=k]
    + b_i + ε_ij, b_i ~ N(0, τ²), ε ~ N(0, σ²), fitted by REML (the vectorised engine of
    :mod:`neuroregen.stats.mixed`, the estimator of statsmodels ``MixedLM``). δ_k is the
    difference between arms in the mean change from the reference phase to phase k
    (treated − control); Wald interval δ̂_k ± z·SE, and a joint Wald χ² test of all δ_k = 0
    (no arm × phase interaction).

    Missing data: every observed visit enters the likelihood (valid under missing at random);
    rows with a missing score, phase or arm are dropped (``n_excluded``).

    Parameters
    ----------
    data : DataFrame
        Long format, one row per child visit.
    participant, phase, score, treated : str
        Column names; ``treated`` holds booleans (False = control arm).
    phases : sequence of str
        Phase levels, reference (baseline) first; phases without data in both arms are
        dropped from the model.
    control : str
        Control arm code, named as comparator.

    References
    ----------
    Fitzmaurice GM, Laird NM, Ware JH. *Applied Longitudinal Analysis*, 2nd ed. Wiley 2011,
    ch. 5 (response profiles by group). Laird NM, Ware JH. *Biometrics* 1982;38:963–74.
    """
    conf = check_confidence(confidence)
    frame = data[[participant, phase, score, treated]].dropna()
    n_excluded = len(data) - len(frame)
    frame = frame[frame[phase].isin(phases)]
    arm = frame[treated].astype(bool).to_numpy()
    ph = frame[phase].astype(str).to_numpy()
    both = [p for p in phases if np.any((ph == p) & arm) and np.any((ph == p) & ~arm)]
    if not both or both[0] != phases[0] or len(both) < 2:
        raise InsufficientDataError(
            text("both arms need data at baseline and at least one later phase")
        )
    keep = np.isin(ph, both)
    frame, arm, ph = frame[keep], arm[keep], ph[keep]
    y = frame[score].to_numpy(dtype=float)
    later = both[1:]
    columns = [np.ones(len(y)), arm.astype(float)]
    columns += [(ph == p).astype(float) for p in later]
    columns += [((ph == p) & arm).astype(float) for p in later]
    exog = np.column_stack(columns)
    if np.linalg.matrix_rank(exog) < exog.shape[1]:
        raise InsufficientDataError(text("the arm × phase design is rank deficient"))
    groups = frame[participant].to_numpy()
    codes = pd.unique(groups)
    n_t = int(pd.unique(groups[arm]).size)
    n_c = int(pd.unique(groups[~arm]).size)
    if n_t < 2 or n_c < 2:
        raise InsufficientDataError(
            text("need two children per arm, got {n_t} treated, {n_c} control", n_t=n_t, n_c=n_c)
        )
    try:
        fit = fit_random_intercept(y, exog, groups, reml=True)
    except (np.linalg.LinAlgError, ValueError) as exc:
        raise InsufficientDataError(
            text("the mixed model could not be fitted: {error}", error=exception_reason(exc))
        ) from exc
    beta = np.asarray(fit.fe_params, dtype=float)
    p_fe = exog.shape[1]
    v = np.asarray(fit.cov_params(), dtype=float)[:p_fe, :p_fe]
    z = float(stats.norm.ppf(0.5 + conf / 2))
    idx = np.arange(2 + len(later), p_fe)
    extra: list[str] = [MAR_ASSUMPTION, *caveats]
    if len(codes) < 30:
        extra.append(WALD_SMALL_SAMPLE)
    if len(codes) < 20:
        extra.append(SMALL_N)
    if not fit.converged:
        extra.append("the model fit did not converge: estimates are unreliable")
    method = f"linear mixed model (phase × arm, random intercept), REML ({ENGINE}); Wald z"
    diffs = []
    for k, p in zip(idx, later, strict=True):
        d, se = float(beta[k]), math.sqrt(float(v[k, k]))
        low, high = d - z * se, d + z * se
        s = direction.sign
        n_obs_phase = int(np.count_nonzero(ph == p))
        diffs.append(
            Estimate(
                quantity=f"difference in change from {phases[0]}, {quantity}, {p} "
                "(treated − control, mixed model)",
                estimate=d,
                ci_low=low,
                ci_high=high,
                confidence=conf,
                n=len(codes),
                method=method,
                comparator=concurrent_comparator(control),
                caveats=tuple(dict.fromkeys(extra)),
                p_value=float(2 * stats.norm.sf(abs(d / se))) if se > 0 else None,
                details={
                    "phase": p,
                    "se": se,
                    "n_treated": n_t,
                    "n_control": n_c,
                    "n_observations": len(y),
                    "n_observations_phase": n_obs_phase,
                    "control_arm": control,
                    "direction": direction.value,
                    "improvement": s * d,
                    "improvement_ci_low": min(s * low, s * high),
                    "improvement_ci_high": max(s * low, s * high),
                },
            )
        )
    b = beta[idx]
    try:
        chi2 = float(b @ np.linalg.solve(v[np.ix_(idx, idx)], b))
        p_int = float(stats.chi2.sf(chi2, len(idx)))
    except np.linalg.LinAlgError:
        chi2, p_int = math.nan, math.nan
    tau2 = float(np.atleast_2d(fit.cov_re)[0, 0])
    return ArmPhaseModel(
        quantity=quantity,
        phases=tuple(both),
        differences=tuple(diffs),
        n_participants=len(codes),
        n_treated=n_t,
        n_control=n_c,
        n_observations=len(y),
        n_excluded=int(n_excluded),
        variance_components={
            "random intercept variance": tau2,
            "residual variance": float(fit.scale),
        },
        interaction_test={"chi2": chi2, "df": float(len(idx)), "p_value": p_int},
        method=method,
        caveats=tuple(dict.fromkeys(extra)),
    )
