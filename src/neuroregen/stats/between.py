"""Differences between two independent groups (treated vs comparison).

Used for controlled comparisons — a concurrent or randomised control arm — and for effect
sizes computed from published summary statistics. All differences are *treated − control* on
the instrument's own scale; ``details["improvement"]`` is the direction-aware difference
(positive = treated children doing better).

Missing data: observations with a missing (NaN) outcome are dropped per group and counted in
``details["n_dropped_missing"]``; ANCOVA also drops rows with missing baseline or group.
"""

from __future__ import annotations

from neuroregen.stats.between_means import ancova_treatment_effect, welch_difference
from neuroregen.stats.between_smd import CiMethod, cohens_d, hedges_g
from neuroregen.stats.between_summary import (
    DispersionFlag,
    check_dispersion,
    effect_size_from_summary,
)

__all__ = [
    "CiMethod",
    "DispersionFlag",
    "ancova_treatment_effect",
    "check_dispersion",
    "cohens_d",
    "effect_size_from_summary",
    "hedges_g",
    "welch_difference",
]
