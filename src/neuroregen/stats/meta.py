"""Meta-analysis of published results, and checks that published numbers can be true.

Pooling: fixed-effect (inverse variance) and DerSimonian–Laird random-effects pooling of mean
differences, standardised mean differences and log risk ratios, with τ², I² (and its
Higgins–Thompson interval), Cochran's Q and the Higgins (2009) prediction interval.

Checks on reported numbers: the standard error implied by a confidence interval
(:func:`se_from_ci`), whether a reported p-value agrees with its interval
(:func:`check_p_value`), and whether a reported mean or percentage can arise from whole
numbers out of the reported n (:func:`grim_check`).

Missing-data policy (whole module): a study without an effect or without a usable standard error
is an error, not silently dropped; the caller must decide, in writing, which studies to exclude.
"""

from __future__ import annotations

from neuroregen.stats.meta_effects import Measure, hedges_g, log_risk_ratio
from neuroregen.stats.meta_pool import (
    FEW_STUDIES,
    HETEROGENEITY,
    POOLED_UNCONTROLLED,
    MetaResult,
    pool,
)
from neuroregen.stats.published_checks import (
    GrimCheck,
    PValueCheck,
    check_p_value,
    grim_check,
    se_from_ci,
)

__all__ = [
    "FEW_STUDIES",
    "HETEROGENEITY",
    "POOLED_UNCONTROLLED",
    "GrimCheck",
    "Measure",
    "MetaResult",
    "PValueCheck",
    "check_p_value",
    "grim_check",
    "hedges_g",
    "log_risk_ratio",
    "pool",
    "se_from_ci",
]
