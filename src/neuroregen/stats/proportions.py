"""Responder rates and comparisons of two proportions.

A responder rate means nothing without its definition — CGI-I ≤ 2, ≥ 25 % reduction, reliable
change and "any decrease" give very different rates from the same children — so a
:class:`ResponderDefinition` travels with every rate: its text is part of the quantity and is
stored in ``details["definition"]``.

Missing data: participants whose responder status cannot be determined (a score missing, or a
percentage undefined because the baseline sits on the scale floor) are *not evaluable*. They
are excluded from the rate and counted in ``details["n_not_evaluable"]``; the rate with them
counted as non-responders (worst case) is reported beside it.
"""

from __future__ import annotations

from neuroregen.stats._common import wilson_interval
from neuroregen.stats.proportion_interval import clopper_pearson_interval
from neuroregen.stats.responders import (
    ResponderDefinition,
    ResponderKind,
    responder_rate,
    responder_rate_from_counts,
)
from neuroregen.stats.two_proportions import (
    NNTEstimate,
    chi_square_test,
    fisher_exact_test,
    number_needed_to_treat,
    odds_ratio,
    risk_difference,
    risk_ratio,
)

__all__ = [
    "NNTEstimate",
    "ResponderDefinition",
    "ResponderKind",
    "chi_square_test",
    "clopper_pearson_interval",
    "fisher_exact_test",
    "number_needed_to_treat",
    "odds_ratio",
    "responder_rate",
    "responder_rate_from_counts",
    "risk_difference",
    "risk_ratio",
    "wilson_interval",
]
