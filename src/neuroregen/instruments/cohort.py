"""Other responses' score values, the cohort the outlier rule compares a new score with.

A save of a form being entered usually has no score value yet (too many items missing), so the
cohort is read only when a rule asks for a score, and then only that score's values, extracted
by the database, instead of every complete response's whole scores document on every save.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from django.db.models.fields.json import KT

from neuroregen.instruments import choices as c
from neuroregen.instruments.models import Response


class CohortScores(Mapping[str, list[float]]):
    """Score code → the values of that score in the other complete responses of an instrument."""

    def __init__(self, instrument: Any, exclude_pk: int | None) -> None:
        self.instrument = instrument
        self.exclude_pk = exclude_pk
        self._read: dict[str, list[float]] = {}

    def _codes(self) -> list[str]:
        return [s.code for s in self.instrument.scores.all()]

    def __getitem__(self, code: str) -> list[float]:
        if code not in self._read:
            complete = Response.objects.filter(
                instrument=self.instrument, status=c.ResponseStatus.COMPLETE
            )
            rows = complete.exclude(pk=self.exclude_pk).values_list(
                KT(f"scores__{code}__value"), flat=True
            )
            # a JSON null (a score not computable) reads as SQL NULL or as the text 'null'
            self._read[code] = [float(v) for v in rows if v is not None and v != "null"]
        return self._read[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self._codes())

    def __len__(self) -> int:
        return len(self._codes())
