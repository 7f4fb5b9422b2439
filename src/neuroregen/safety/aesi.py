"""The catalogue of adverse events of special interest (AESI) for cell products, as data.

Pure: matching reads the reported term, the optional coded term, and where known the route
and days since the most recent administration. Entries are tried in order, most specific
first (a "febrile seizure" is a seizure, headache after intrathecal dosing is its own class).
The investigator may always set or clear the category by hand; the catalogue only proposes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from neuroregen.safety.choices import AesiCategory

__all__ = ["CATALOGUE", "AesiEntry", "aesi_match"]


@dataclass(frozen=True)
class AesiEntry:
    """One catalogue entry: a category, the words that suggest it, and its conditions."""

    category: AesiCategory
    patterns: tuple[str, ...]
    route: str | None = None  # only after administration by this route
    within_days: int | None = None  # only within this many days of an administration

    def matches(self, text: str, *, route: str, days: int | None) -> bool:
        if self.route is not None and route != self.route:
            return False
        if self.within_days is not None and (days is None or not 0 <= days <= self.within_days):
            return False
        return any(re.search(p, text) for p in self.patterns)


CATALOGUE: tuple[AesiEntry, ...] = (
    AesiEntry(
        AesiCategory.POST_INTRATHECAL,
        (r"\bheadache", r"\bvomit", r"\bpost[- ]?(lumbar|dural)[- ]puncture", r"\bemesis\b"),
        route="it",
        within_days=7,
    ),
    AesiEntry(
        AesiCategory.PRODUCT_INFECTION,
        (
            r"product[- ](related|derived|transmitted)\s+infection",
            r"transmitted by the product",
            r"contaminated (product|lot|dose)",
            r"donor[- ]derived infection",
        ),
    ),
    AesiEntry(
        AesiCategory.ANTI_HLA,
        (r"anti[- ]?hla", r"\bhla antibod", r"donor[- ]specific antibod", r"\bdsa\b"),
    ),
    AesiEntry(
        AesiCategory.ECTOPIC_TISSUE,
        (
            r"\bectopic",
            r"\btumou?r",
            r"\bteratoma",
            r"\bneoplasm",
            r"\bmalignan",
            r"\babnormal (tissue|growth)",
        ),
    ),
    AesiEntry(
        AesiCategory.SEIZURE,
        (r"\bseizure", r"\bconvuls", r"\bepilep", r"\bstatus epilepticus"),
    ),
    AesiEntry(
        AesiCategory.BEHAVIOURAL_REGRESSION,
        (
            r"\bregression",
            r"\bloss of (skills|language|words|speech)",
            r"\bbehaviou?ral (worsening|deterioration)",
        ),
    ),
    AesiEntry(
        AesiCategory.INFUSION_REACTION,
        (
            r"\binfusion[- ](related )?reaction",
            r"\binfusion[- ]related",
            r"\banaphyla",
            r"\bcytokine release",
        ),
    ),
    AesiEntry(
        AesiCategory.FEVER,
        (r"\bfever", r"\bpyrexia", r"\bfebrile", r"\bhyperthermia"),
    ),
)


def _normalise(*parts: str) -> str:
    return " ".join(" ".join((p or "").lower().split()) for p in parts)


def aesi_match(
    term: str,
    coded_term: str = "",
    *,
    route: str = "",
    days_since_administration: int | None = None,
) -> AesiCategory | None:
    """The first catalogue category the event matches, or None.

    >>> aesi_match("Febrile seizure").value
    'seizure'
    >>> aesi_match("Headache", route="it", days_since_administration=1).value
    'post_intrathecal'
    >>> aesi_match("Headache", route="iv", days_since_administration=1) is None
    True
    """
    text = _normalise(term, coded_term)
    for entry in CATALOGUE:
        if entry.matches(text, route=route, days=days_since_administration):
            return entry.category
    return None
