"""One instrument's definition prepared once for many forms (an import writes thousands).

Cleaning, calculated fields, scores and the data-quality rules are the same functions data entry
uses (``entry``, ``scoring``, ``quality``); what is prepared here is only what does not change
from one form to the next: the field list, the score definitions in dependency order, the
compiled expressions and which fields a rule can flag.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from neuroregen.instruments import entry, quality, scoring
from neuroregen.instruments.choices import ScoreMethod


def score_dicts(defs: list[Any]) -> list[dict[str, Any]]:
    """Score definitions as ``scoring.score_response`` takes them: components first."""
    ordered = sorted(defs, key=lambda s: (s.method == ScoreMethod.SUM_OF_SCORES, s.order))
    return [
        {
            "code": s.code,
            "method": s.method,
            "items": s.items,
            "max_missing_items": s.max_missing_items,
        }
        for s in ordered
    ]


@dataclass
class PreparedInstrument:
    """An instrument with its fields and scores read, ready to clean, compute and check forms."""

    instrument: Any
    fields: list[Any] = field(init=False)
    score_defs: list[Any] = field(init=False)

    def __post_init__(self) -> None:
        self.fields = list(self.instrument.fields.all())
        self.score_defs = list(self.instrument.scores.all())
        self.cleaner = entry.FormCleaner(self.fields)
        self._calcs = entry.calcs_of(self.fields)
        self._scoring = score_dicts(self.score_defs)
        self.rules = quality.ResponseRules(self.fields, self.score_defs)

    def clean(
        self, answers: dict[str, Any], missing: dict[str, str]
    ) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
        return self.cleaner.clean(answers, missing)

    def stored_answers(self, stored: dict[str, Any], codes: dict[str, str]) -> dict[str, Any]:
        """Cleaned answers with the calculated fields computed, as a save stores them."""
        return self._calcs(stored, codes)

    def scores(self, answers: dict[str, Any], codes: dict[str, str]) -> dict[str, Any]:
        return scoring.score_response(self._scoring, answers, codes)
