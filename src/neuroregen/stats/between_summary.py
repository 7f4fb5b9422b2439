"""Effect sizes from published summary statistics, and the check that reported dispersions are
plausible before they are used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from neuroregen.stats._common import (
    check_confidence,
    size_caveats,
)
from neuroregen.stats.between_means import _improvement
from neuroregen.stats.between_smd import _CI_TEXT, CiMethod, _smd
from neuroregen.stats.results import Direction, Estimate
from neuroregen.stats.text import text

__all__ = [
    "DispersionFlag",
    "check_dispersion",
    "effect_size_from_summary",
]


@dataclass(frozen=True)
class DispersionFlag:
    """A reason to doubt a published dispersion value.

    Attributes
    ----------
    code : str
        Stable machine code, e.g. ``"sd_looks_like_se"``.
    message : str
        Sentence shown as a caveat.
    """

    code: str
    message: str


def check_dispersion(
    mean: float,
    dispersion: float,
    n: int,
    *,
    kind: Literal["sd", "se"] = "sd",
    scale_min: float | None = None,
    scale_max: float | None = None,
    reference_sd: float | None = None,
    min_relative_sd: float = 0.10,
    group: str = "group",
) -> tuple[DispersionFlag, ...]:
    """Check whether a published dispersion is plausible for what it is labelled.

    A frequent reporting error is a standard error printed as "SD" (SE = SD/√n); used as an
    SD it inflates standardized effects by a factor of about √n. These rules flag it.

    Parameters
    ----------
    mean, dispersion, n : float, float, int
        Published group mean, dispersion and size.
    kind : {"sd", "se"}
        What the publication says the dispersion is.
    scale_min, scale_max : float, optional
        Possible range of the score (e.g. 0 and 179 for ATEC total).
    reference_sd : float, optional
        Typical between-child SD of the instrument in comparable samples (e.g. 15 for
        Vineland standard scores, 10 for SRS-2 T-scores).
    min_relative_sd : float
        Smallest plausible SD relative to the distance of the mean from the scale floor.
    group : str
        Name used in messages.

    Returns
    -------
    tuple of DispersionFlag
        Empty when nothing looks wrong.

    Notes
    -----
    Let s be the value labelled SD (or SE·√n when labelled SE), m the mean, L/U the scale
    bounds:

    1. ``sd_looks_like_se`` (needs ``reference_sd`` R): s < R/2 and s·√n is closer to R than
       s is, on the log scale (|log(s√n/R)| < |log(s/R)|) — the value fits an SE better.
    2. ``sd_implausibly_small`` (needs L): s/|m − L| < ``min_relative_sd`` (default 0.10).
       Clinical samples on behavioural scales have relative SDs of roughly 0.2–0.5; a value
       ten times smaller is what an SE of a sample of ~25–100 looks like. The flag says
       whether s·√n would be a plausible SD (relative SD 0.10–1.0).
    3. ``sd_exceeds_scale_bound`` (needs L and U): s > √((m − L)(U − m)), the largest SD any
       distribution on [L, U] with mean m can have (Bhatia & Davis 2000). Labelled SE, this
       means SE·√n is impossible and the value is probably an SD already.
    4. ``mean_outside_scale``: m outside [L, U].

    References
    ----------
    Bhatia R, Davis C. A better bound on the variance. *Am Math Mon* 2000;107:353–357.
    Higgins JPT et al. *Cochrane Handbook*, §6.5.2.2 (obtaining SDs from SEs).

    Examples
    --------
    >>> flags = check_dispersion(72.0, 2.4, 40, reference_sd=15.0, scale_min=20)
    >>> [f.code for f in flags]
    ['sd_looks_like_se', 'sd_implausibly_small']
    >>> check_dispersion(72.0, 13.5, 40, reference_sd=15.0, scale_min=20)
    ()
    """
    flags: list[DispersionFlag] = []
    if n < 1 or dispersion < 0 or not math.isfinite(dispersion):
        return (DispersionFlag("invalid", f"{group}: dispersion {dispersion} or n {n} invalid"),)
    root_n = math.sqrt(n)
    sd = dispersion * root_n if kind == "se" else dispersion
    label = "SE" if kind == "se" else "SD"
    if (scale_min is not None and mean < scale_min) or (scale_max is not None and mean > scale_max):
        flags.append(
            DispersionFlag("mean_outside_scale", f"{group}: mean {mean} lies outside the scale")
        )
    if kind == "sd" and reference_sd is not None and reference_sd > 0 and sd > 0:
        as_sd = abs(math.log(sd / reference_sd))
        as_se = abs(math.log(sd * root_n / reference_sd))
        if sd < reference_sd / 2.0 and as_se < as_sd:
            flags.append(
                DispersionFlag(
                    "sd_looks_like_se",
                    f"{group}: reported SD {dispersion:g} is far below the usual SD "
                    f"({reference_sd:g}) while SD·√n = {sd * root_n:.3g} matches it: the value "
                    "is probably a standard error",
                )
            )
    if kind == "sd" and scale_min is not None and mean != scale_min:
        rel = sd / abs(mean - scale_min)
        if rel < min_relative_sd:
            rel_se = sd * root_n / abs(mean - scale_min)
            hint = (
                "; read as an SE it gives a plausible SD"
                if min_relative_sd <= rel_se <= 1.0
                else ""
            )
            flags.append(
                DispersionFlag(
                    "sd_implausibly_small",
                    f"{group}: reported SD {dispersion:g} is only {rel:.1%} of the distance "
                    f"of the mean from the scale floor{hint}",
                )
            )
    if scale_min is not None and scale_max is not None and scale_min <= mean <= scale_max:
        bound = math.sqrt((mean - scale_min) * (scale_max - mean))
        if sd > bound:
            extra = ": the value labelled SE is probably an SD" if kind == "se" else ""
            flags.append(
                DispersionFlag(
                    "sd_exceeds_scale_bound",
                    f"{group}: implied SD {sd:.3g} from the reported {label} exceeds the largest "
                    f"SD possible on the scale ({bound:.3g}){extra}",
                )
            )
    return tuple(flags)


def effect_size_from_summary(
    mean_treated: float,
    dispersion_treated: float,
    n_treated: int,
    mean_control: float,
    dispersion_control: float,
    n_control: int,
    *,
    direction: Direction,
    dispersion: Literal["sd", "se"] = "sd",
    confidence: float = 0.95,
    ci_method: CiMethod = "noncentral_t",
    scale_min: float | None = None,
    scale_max: float | None = None,
    reference_sd: float | None = None,
    max_plausible_g: float = 3.0,
    label: str = "score",
    comparator: str = "control arm (as published)",
) -> Estimate:
    """Hedges' g from published means, SDs or SEs and group sizes, with plausibility flags.

    Parameters
    ----------
    mean_treated, dispersion_treated, n_treated : float, float, int
        Published summary of the treated arm.
    mean_control, dispersion_control, n_control : float, float, int
        Published summary of the control arm.
    direction : Direction
        Which way is better on the instrument.
    dispersion : {"sd", "se"}
        What the publication calls its dispersion; SEs are converted with SD = SE·√n.
    confidence : float
        Confidence level.
    ci_method : {"noncentral_t", "normal"}
        Interval method for d (see :func:`cohens_d`), scaled by J.
    scale_min, scale_max, reference_sd : float, optional
        Used by :func:`check_dispersion`.
    max_plausible_g : float
        |g| above this is flagged as implausibly large for behavioural outcomes.
    label, comparator : str
        Words for the quantity and the control arm.

    Returns
    -------
    Estimate
        Hedges' g with interval. Every plausibility flag becomes a caveat; the codes are in
        ``details["flags"]``.

    Notes
    -----
    Same formulas as :func:`hedges_g` applied to the summaries. Missing data: none — the
    function refuses NaN inputs.

    References
    ----------
    Borenstein M et al. *Introduction to Meta-Analysis*. Wiley, 2009, ch. 4.

    Examples
    --------
    >>> from neuroregen.stats import Direction
    >>> est = effect_size_from_summary(-8.0, 2.1, 30, -3.0, 2.0, 30,
    ...     direction=Direction.HIGHER_IS_WORSE, reference_sd=10.0, label="ABC change")
    >>> round(est.estimate, 2), est.details["flags"]
    (-2.4, ('sd_looks_like_se', 'sd_looks_like_se'))
    """
    conf = check_confidence(confidence)
    values = (mean_treated, dispersion_treated, mean_control, dispersion_control)
    if any(not math.isfinite(v) for v in values):
        raise ValueError("summary statistics must be finite numbers")
    n_t, n_c = int(n_treated), int(n_control)
    s_t = dispersion_treated * math.sqrt(n_t) if dispersion == "se" else dispersion_treated
    s_c = dispersion_control * math.sqrt(n_c) if dispersion == "se" else dispersion_control
    flags = (
        *check_dispersion(
            mean_treated,
            dispersion_treated,
            n_t,
            kind=dispersion,
            scale_min=scale_min,
            scale_max=scale_max,
            reference_sd=reference_sd,
            group="treated arm",
        ),
        *check_dispersion(
            mean_control,
            dispersion_control,
            n_c,
            kind=dispersion,
            scale_min=scale_min,
            scale_max=scale_max,
            reference_sd=reference_sd,
            group="control arm",
        ),
    )
    g, low, high, details = _smd(
        mean_treated,
        s_t,
        n_t,
        mean_control,
        s_c,
        n_c,
        confidence=conf,
        ci_method=ci_method,
        corrected=True,
    )
    if abs(g) > max_plausible_g:
        flags = (
            *flags,
            DispersionFlag(
                "implausibly_large_effect",
                f"|g| = {abs(g):.2f} exceeds {max_plausible_g:g}, rare for behavioural "
                "outcomes: check whether the dispersions are standard errors",
            ),
        )
    details.update(
        {
            "dispersion_reported_as": dispersion,
            "flags": tuple(f.code for f in flags),
            **_improvement(direction, g, low, high),
        }
    )
    n = n_t + n_c
    return Estimate(
        quantity=text(
            "standardized mean difference (Hedges' g) from published summaries, {label}",
            label=label,
        ),
        estimate=g,
        ci_low=low,
        ci_high=high,
        confidence=conf,
        n=n,
        method=f"Hedges' g from summary data; {_CI_TEXT[ci_method]}; interval scaled by J",
        comparator=comparator,
        caveats=(*size_caveats(n), *(f.message for f in flags)),
        details=details,
    )
