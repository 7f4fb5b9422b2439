"""Linear mixed model of a score across the phases after therapy.

Phases are baseline (reference), early, mid and late (DOMAIN §1). The model is

    score_ij = β0 + Σ_k β_k [phase_ij = k] + γᵀ(x_ij − x̄) + b_0i (+ b_1i time_ij) + ε_ij,

with a random intercept b_0i per participant and, where it converges, a random slope b_1i on
study time. Both models are fitted by REML with statsmodels ``MixedLM``'s estimator, vectorised
over participants (``_intercept.py``, ``_slope.py``): they agree with ``MixedLM`` to its
optimiser's tolerance (tests/stats/test_intercept_fit.py, test_slope_fit.py) and take
milliseconds where ``MixedLM`` loops over participants in Python for seconds (a hundred
children) to hours (ten thousand). Estimated marginal means (EMMs)
per phase are ``β0 + β_k`` (covariates at their mean) and the phase-vs-baseline contrasts are
``β_k``; both carry Wald intervals from the fixed-effect covariance.

Convergence is reported, never hidden: warnings raised during fitting are kept, a random-slope
model that fails (no convergence, singular or boundary covariance) is replaced by the
random-intercept model and the fallback is recorded as a caveat, and a random-intercept
variance estimated at zero is flagged as a boundary fit.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from neuroregen.stats._intercept import ENGINE, fit_random_intercept
from neuroregen.stats._slope import fit_random_slope
from neuroregen.stats.results import SMALL_N, UNCONTROLLED, Direction, Estimate
from neuroregen.stats.text import exception_reason, text, text_join

__all__ = [
    "DEFAULT_PHASES",
    "MAR_ASSUMPTION",
    "WALD_SMALL_SAMPLE",
    "MixedModelResult",
    "phase_mixed_model",
]

DEFAULT_PHASES: tuple[str, ...] = ("baseline", "early", "mid", "late")
MAR_ASSUMPTION = text(
    "missing visits are handled by the likelihood, which is unbiased only if whether a visit is "
    "missed depends on observed scores, not on the unobserved score itself (missing at random)"
)
WALD_SMALL_SAMPLE = text(
    "intervals use a normal reference and treat variance components as known: with fewer than "
    "30 participants they are somewhat too narrow"
)
INTERCEPT_MODEL = text("random intercept")
SLOPE_MODEL = text("random intercept and random slope on time")
_BOUNDARY_TOL = 1e-6  # variance component / residual variance below this counts as zero
_CORR_TOL = 0.99  # |random intercept–slope correlation| above this counts as singular


@dataclass(frozen=True)
class MixedModelResult:
    """Phase means and phase-vs-baseline contrasts from a linear mixed model.

    Attributes
    ----------
    quantity : str
        The score modelled.
    phases : tuple of str
        Phase levels, reference first.
    marginal_means : tuple of Estimate
        EMM per phase (covariates at their mean).
    contrasts : tuple of Estimate
        Each later phase minus the reference phase.

        In both, ``n`` is the number of children observed in that phase;
        ``details["observations"]`` is the number of observations (rows) in it.
    model : str
        "random intercept" or "random intercept and random slope on time".
    converged : bool
        Whether the optimiser of the reported model converged.
    boundary : bool
        True for singular/boundary fits (a variance component at zero, or a perfect
        intercept–slope correlation).
    fallback : bool
        True when a random-slope model was attempted and replaced by the random-intercept model.
    fit_warnings : tuple of str
        Every warning raised while fitting (all attempts), prefixed by the model tried.
    n_participants, n_observations, n_excluded : int
        Participants and rows used; rows excluded for missing values.
    variance_components : mapping
        Random-effect variances (and covariance) and the residual variance.
    phase_test : mapping
        Joint Wald test that all phase means are equal (chi2, df, p_value).
    method : str
    caveats : tuple of str
    """

    quantity: str
    phases: tuple[str, ...]
    marginal_means: tuple[Estimate, ...]
    contrasts: tuple[Estimate, ...]
    model: str
    converged: bool
    boundary: bool
    fallback: bool
    fit_warnings: tuple[str, ...]
    n_participants: int
    n_observations: int
    n_excluded: int
    variance_components: Mapping[str, float]
    phase_test: Mapping[str, float]
    method: str
    caveats: tuple[str, ...] = field(default=())

    @property
    def reference(self) -> str:
        return self.phases[0]

    def table(self) -> pd.DataFrame:
        """Tidy table: one row per EMM and per contrast (kind, phase, estimate, low, high, p)."""
        rows: list[dict[str, Any]] = []
        for kind, ests in (("marginal mean", self.marginal_means), ("contrast", self.contrasts)):
            for e in ests:
                rows.append(
                    {
                        "kind": kind,
                        "phase": e.details["phase"],
                        "estimate": e.estimate,
                        "low": e.ci_low,
                        "high": e.ci_high,
                        "se": e.details["se"],
                        "n": e.n,
                        "observations": e.details["observations"],
                        "p_value": e.p_value,
                    }
                )
        return pd.DataFrame(rows)

    def as_text(self) -> str:
        status = "converged" if self.converged else "DID NOT CONVERGE"
        if self.boundary:
            status += ", boundary fit"
        if self.fallback:
            status += ", fell back from random slope"
        lines = [
            f"{self.quantity}: linear mixed model ({self.model}; {status}); "
            f"{self.n_participants} participants, {self.n_observations} observations"
        ]
        lines += [e.as_text() for e in self.marginal_means]
        lines += [e.as_text() for e in self.contrasts]
        return "\n".join(lines)


def _problems(res: Any, n_fe: int) -> tuple[bool, bool, list[str]]:
    """Return (converged, boundary, reasons) for a fitted model."""
    reasons: list[str] = []
    converged = bool(getattr(res, "converged", False))
    if not converged:
        reasons.append(text("the optimiser did not converge"))
    fe = np.asarray(res.fe_params, dtype=float)
    cov_fe = np.asarray(res.cov_params(), dtype=float)[:n_fe, :n_fe]
    if not (np.all(np.isfinite(fe)) and np.all(np.isfinite(cov_fe))):
        converged = False
        reasons.append(text("non-finite estimates or standard errors"))
    cov_re = np.atleast_2d(np.asarray(res.cov_re, dtype=float))
    scale = float(res.scale)
    boundary = False
    if np.any(~np.isfinite(cov_re)):
        boundary = True
        reasons.append(text("non-finite random-effects covariance"))
    else:
        diag = np.diag(cov_re)
        if np.any(diag <= _BOUNDARY_TOL * max(scale, 1e-300)):
            boundary = True
            reasons.append(text("a random-effect variance is estimated at zero (boundary)"))
        if cov_re.shape[0] > 1 and np.all(diag > 0):
            corr = cov_re[0, 1] / math.sqrt(diag[0] * diag[1])
            if abs(corr) > _CORR_TOL:
                boundary = True
                reasons.append(
                    text(
                        "random intercept and slope are perfectly correlated (r={r:.3f}; singular)",
                        r=corr,
                    )
                )
    return converged, boundary, reasons


def _clean_slope_fit(
    y: np.ndarray,
    exog: np.ndarray,
    t: np.ndarray,
    groups: np.ndarray,
    reml: bool,
    start_psi: float | None,
    n_fe: int,
) -> tuple[Any, str | None, list[str]]:
    """The random-slope fit if it converged to an interior optimum, else why not; and every
    warning raised while fitting (labelled with the model)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fit: Any = fit_random_slope(y, exog, t, groups, reml=reml, start_psi=start_psi)
        except (np.linalg.LinAlgError, ValueError) as exc:
            fit, reasons = None, [f"{type(exc).__name__}: {exc}"]
    warns = [f"[{SLOPE_MODEL}] {w.message}" for w in caught]
    if fit is not None:
        converged, boundary, reasons = _problems(fit, n_fe)
        if converged and not boundary:
            return fit, None, warns
    reason = text_join(reasons)
    return None, reason, [*warns, f"[{SLOPE_MODEL}] not used: {reason}"]


def phase_mixed_model(
    data: pd.DataFrame,
    *,
    participant: str = "participant",
    phase: str = "phase",
    score: str = "score",
    time: str | None = None,
    phases: Sequence[str] = DEFAULT_PHASES,
    random_slope: bool = True,
    covariates: Sequence[str] = (),
    quantity: str = "score",
    direction: Direction | None = None,
    comparator: str = "own baseline (no control group)",
    confidence: float = 0.95,
    reml: bool = True,
    caveats: Sequence[str] = (),
) -> MixedModelResult:
    """Fit a linear mixed model of a score by phase and return EMMs and contrasts.

    Model: ``score ~ C(phase, reference=phases[0]) + covariates`` with a random intercept per
    participant, plus a random slope on ``time`` when ``time`` is given and
    ``random_slope=True`` and that model fits cleanly; otherwise the random-intercept model is
    reported and the fallback recorded. Fixed effects are estimated by REML (``reml=True``).

    EMM for phase k: ``μ_k = β0 + β_k`` (β_ref = 0), covariates centred at their sample mean;
    ``Var(μ_k) = Lᵀ V L`` with V the fixed-effect covariance. Contrast k vs reference: ``β_k``.
    Intervals ``estimate ± z_{(1+c)/2} SE`` (Wald, normal reference), p-values from the same
    z-statistics; a joint Wald χ² tests equality of all phase means.

    Parameters
    ----------
    data : DataFrame
        Long format, one row per participant visit.
    participant, phase, score : str
        Column names.
    time : str, optional
        Study time of the visit (e.g. months since first administration) for the random slope.
        Use months or years: in days the slope variance is tiny and the fit is fragile.
    phases : sequence of str
        Phase levels, reference first. Rows with other phase values raise ``ValueError``.
    random_slope : bool
        Try a random slope on ``time`` (ignored without ``time``).
    covariates : sequence of str
        Numeric covariates (e.g. behavioural therapy hours), entered linearly and centred.
    quantity : str
        Words for the score ("ATEC total").
    direction : Direction, optional
        Which way is better for this score; recorded in each estimate's details so readers
        know whether a negative contrast is an improvement.
    comparator : str
        What contrasts are relative to.
    confidence : float
    reml : bool
        REML (default) or maximum likelihood.
    caveats : sequence of str
        Extra caveats (e.g. SYNTHETIC, CAREGIVER_RATED).

    Returns
    -------
    MixedModelResult

    Assumptions
    -----------
    Normal random effects and residuals; homoscedastic residuals; linear covariate effects;
    participants independent. Within a participant, correlation is induced only by the random
    effects (exchangeable with a random intercept).

    Missing data
    ------------
    Rows with a missing score, phase, participant, time or covariate are dropped
    (``n_excluded``). Missed visits are not imputed: every observed visit enters the
    likelihood, which gives valid estimates when visits are missing at random (MAR) given the
    observed scores; not when missingness depends on the unobserved score (e.g. families who
    see no improvement stop coming). The MAR caveat is always attached.

    References
    ----------
    Laird NM, Ware JH. Random-effects models for longitudinal data. Biometrics 1982;38:963–74.
    Searle SR, Speed FM, Milliken GA. Population marginal means in the linear model.
    Am Stat 1980;34:216–21. Molenberghs G, Kenward MG. Missing Data in Clinical Studies.
    Wiley 2007. Bates D, Mächler M, Bolker B, Walker S. Fitting linear mixed-effects models
    using lme4. J Stat Softw 2015;67(1) (singular fits).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> ids = np.repeat(np.arange(30), 4)
    >>> ph = np.tile(["baseline", "early", "mid", "late"], 30)
    >>> true = pd.Series(ph).map({"baseline": 60, "early": 58, "mid": 55, "late": 52})
    >>> y = true.to_numpy() + np.repeat(rng.normal(0, 8, 30), 4) + rng.normal(0, 3, 120)
    >>> df = pd.DataFrame({"participant": ids, "phase": ph, "score": y})
    >>> res = phase_mixed_model(df, quantity="ATEC total")
    >>> res.model, res.converged, res.boundary
    ('random intercept', True, False)
    >>> [e.details["phase"] for e in res.contrasts]
    ['early', 'mid', 'late']
    >>> res.contrasts[2].ci_low < -8 + 3 and res.contrasts[2].ci_high > -8 - 3
    True
    """
    phases = tuple(phases)
    if len(phases) < 2 or len(set(phases)) != len(phases):
        raise ValueError(text("give at least two distinct phases, reference first"))
    cols = [participant, phase, score, *([time] if time else []), *covariates]
    for col in cols:
        if col not in data.columns:
            raise ValueError(f"column {col!r} not in data")
    frame = data[cols].copy()
    # the distinct labels, not every row's: a set over a registry's rows costs a Python loop
    unknown = set(pd.unique(frame[phase].dropna()).astype(str)) - set(phases)
    if unknown:
        raise ValueError(f"unknown phase values {sorted(unknown)}; expected {list(phases)}")
    complete = frame.dropna()
    n_excluded = int(len(frame) - len(complete))
    ph = complete[phase].astype(str).to_numpy()
    present = [p for p in phases if np.any(ph == p)]
    if phases[0] not in present:
        raise ValueError(text("no observations in the reference phase '{phase}'", phase=phases[0]))
    empty = [p for p in phases if p not in present]
    if empty:
        raise ValueError(text("no observations in phase(s) {phases}", phases=empty))

    y = complete[score].to_numpy(dtype=float)
    n_obs = int(y.size)
    groups = complete[participant].to_numpy()
    n_part = int(pd.unique(groups).size)
    k = len(phases)
    exog_cols = [np.ones(n_obs)] + [(ph == p).astype(float) for p in phases[1:]]
    cov_names: list[str] = []
    for c in covariates:
        x = complete[c].to_numpy(dtype=float)
        exog_cols.append(x - x.mean())
        cov_names.append(c)
    exog = np.column_stack(exog_cols)
    n_fe = exog.shape[1]
    if np.linalg.matrix_rank(exog) < n_fe:
        raise ValueError(text("fixed-effect design is rank deficient (collinear covariates?)"))
    if n_part < 2:
        raise ValueError(text("need at least two participants"))

    fit_warnings: list[str] = []
    fallback_reason: str | None = None
    model_name = INTERCEPT_MODEL
    # one variance ratio: the exact vectorised fit; it also seeds the random-slope fit
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res: Any = fit_random_intercept(y, exog, groups, reml=reml)
    except (np.linalg.LinAlgError, ValueError) as exc:
        raise RuntimeError(
            text(
                "the random-intercept model could not be fitted: {error}",
                error=exception_reason(exc),
            )
        ) from exc
    intercept_warnings = [f"[{INTERCEPT_MODEL}] {w.message}" for w in caught]
    converged, boundary, _ = _problems(res, n_fe)
    if time and random_slope:
        varies = complete.groupby(participant)[time].nunique()
        if not (varies >= 2).any():
            fallback_reason = text("time does not vary within any participant")
    if time and random_slope and fallback_reason is None:
        t = complete[time].to_numpy(dtype=float)
        psi = float(res.cov_re[0, 0]) / res.scale if res.scale > 0 else None
        slope, fallback_reason, warns = _clean_slope_fit(y, exog, t, groups, reml, psi, n_fe)
        fit_warnings += warns
        if slope is not None:
            res, model_name = slope, SLOPE_MODEL
            converged, boundary = True, False
    if model_name == INTERCEPT_MODEL:
        fit_warnings += intercept_warnings

    beta = np.asarray(res.fe_params, dtype=float)
    v = np.asarray(res.cov_params(), dtype=float)[:n_fe, :n_fe]
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    cov_re = np.atleast_2d(np.asarray(res.cov_re, dtype=float))
    vc: dict[str, float] = {"random intercept variance": float(cov_re[0, 0])}
    if model_name == SLOPE_MODEL:
        vc["random slope variance"] = float(cov_re[1, 1])
        vc["intercept–slope covariance"] = float(cov_re[0, 1])
    vc["residual variance"] = float(res.scale)

    # joint Wald test of equal phase means: H0 β_1..β_{k-1} = 0
    idx = np.arange(1, k)
    b = beta[idx]
    try:
        chi2_stat = float(b @ np.linalg.solve(v[np.ix_(idx, idx)], b))
        phase_p = float(stats.chi2.sf(chi2_stat, k - 1))
    except np.linalg.LinAlgError:
        chi2_stat, phase_p = math.nan, math.nan
    phase_test = {"chi2": chi2_stat, "df": float(k - 1), "p_value": phase_p}

    result_caveats: list[str] = [MAR_ASSUMPTION, *caveats]
    if n_part < 30:
        result_caveats.append(WALD_SMALL_SAMPLE)
    if n_part < 20:
        result_caveats.append(SMALL_N)
    if fallback_reason is not None:
        result_caveats.append(
            text(
                "the random-slope model did not fit cleanly ({reason}); the random-intercept "
                "model is reported instead, which assumes every child changes at the same rate "
                "apart from the phase means",
                reason=fallback_reason,
            )
        )
    if not converged:
        result_caveats.append(
            text(
                "the model fit did not converge: estimates are unreliable and must not be "
                "reported as findings"
            )
        )
    if boundary:
        result_caveats.append(
            text(
                "boundary (singular) fit: the between-participant variance is estimated at "
                "zero, so the model reduces to ordinary regression; interpret with care"
            )
        )
    method = (
        f"linear mixed model ({model_name}), {'REML' if reml else 'ML'} ({ENGINE}); Wald z interval"
    )
    if cov_names:
        method += f"; adjusted for {', '.join(cov_names)} at their means"
    obs_per_phase = {p: int(np.sum(ph == p)) for p in phases}
    # n of a phase estimate is children (a child seen twice in a phase counts once); the
    # observations the model used are given beside it
    children_per_phase = {p: int(pd.unique(groups[ph == p]).size) for p in phases}
    base_details: dict[str, Any] = {"model": model_name}
    if direction is not None:
        base_details["direction"] = direction.value

    emms: list[Estimate] = []
    for j, p in enumerate(phases):
        L = np.zeros(n_fe)
        L[0] = 1.0
        if j > 0:
            L[j] = 1.0
        est = float(L @ beta)
        se = float(math.sqrt(max(L @ v @ L, 0.0)))
        emms.append(
            Estimate(
                quantity=text("{quantity}, {p} (estimated marginal mean)", quantity=quantity, p=p),
                estimate=est,
                ci_low=est - z * se,
                ci_high=est + z * se,
                confidence=confidence,
                n=children_per_phase[p],
                method=method,
                comparator="none (level, not change)",
                caveats=tuple(dict.fromkeys(result_caveats)),
                details={
                    **base_details,
                    "phase": p,
                    "se": se,
                    "participants": n_part,
                    "observations": obs_per_phase[p],
                },
            )
        )
    contrast_caveats = list(result_caveats)
    if comparator.startswith("own baseline"):
        contrast_caveats.insert(0, UNCONTROLLED)
    contrasts: list[Estimate] = []
    for j, p in enumerate(phases[1:], start=1):
        est = float(beta[j])
        se = float(math.sqrt(max(v[j, j], 0.0)))
        pval = float(2 * stats.norm.sf(abs(est) / se)) if se > 0 else math.nan
        contrasts.append(
            Estimate(
                quantity=f"{quantity}, {p} minus {phases[0]} (model-based)",
                estimate=est,
                ci_low=est - z * se,
                ci_high=est + z * se,
                confidence=confidence,
                n=children_per_phase[p],
                method=method,
                comparator=comparator,
                caveats=tuple(dict.fromkeys(contrast_caveats)),
                p_value=pval,
                details={
                    **base_details,
                    "phase": p,
                    "se": se,
                    "participants": n_part,
                    "observations": obs_per_phase[p],
                },
            )
        )
    return MixedModelResult(
        quantity=quantity,
        phases=phases,
        marginal_means=tuple(emms),
        contrasts=tuple(contrasts),
        model=model_name,
        converged=converged,
        boundary=boundary,
        fallback=fallback_reason is not None,
        fit_warnings=tuple(fit_warnings),
        n_participants=n_part,
        n_observations=n_obs,
        n_excluded=n_excluded,
        variance_components=vc,
        phase_test=phase_test,
        method=method,
        caveats=tuple(dict.fromkeys(result_caveats)),
    )
