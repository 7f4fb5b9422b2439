"""What an import plans before it writes: the visits it reads, the forms it will write."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from neuroregen.instruments.models import Instrument
from neuroregen.instruments.prepared import PreparedInstrument
from neuroregen.participants.models import Participant


@dataclass(frozen=True, slots=True)
class VisitRef:
    """What an import needs of a visit (thousands are read: values, not model instances)."""

    pk: int
    code: str
    scheduled: frozenset[str]  # the instruments its definition expects
    arm: str  # the arm's code ("" without one)
    done_on: dt.date | None


@dataclass
class Planned:
    where: str
    participant: Participant
    visit: VisitRef
    instrument: Instrument
    answers: dict[str, Any]
    missing: dict[str, str]
    complete: bool
    stored: dict[str, Any]  # cleaned answers
    codes: dict[str, str]  # cleaned missing-data codes
    prepared: PreparedInstrument
    verified: bool = False  # ``<form>_complete`` 2: complete and verified
    not_done_reason: str = ""  # set: the form is recorded as not done, for this reason


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    forms: list[str] = field(default_factory=list)
    # (record id, study code) of each participant registered by the import
    registered: list[tuple[str, str]] = field(default_factory=list)
    # record id → study code of every record matched by identity (registered or known)
    linked: dict[str, str] = field(default_factory=dict)

    @property
    def changed(self) -> int:
        return self.created + self.updated
