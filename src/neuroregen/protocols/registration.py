"""The registration block of a protocol document: sponsor, title, phase, design facts.

```json
"registration": {
  "sponsor": "…", "official_title": "…", "trial_phase": "1_2", "registry_id": "NCT…",
  "planned_subjects": 60, "blinding": "open", "control_type": "none",
  "indication": "Autism spectrum disorder", "study_type": "interventional",
  "trial_type": "safety_efficacy", "primary_objective": "…",
  "study_start_date": "2026-01-15", "randomised": false, "add_on": true
}
```

Every key is optional; a missing key leaves the field empty (not stated). These are the facts
the SDTM trial summary (TS) reports; checked with the rest of the document.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from neuroregen.protocols import choices as c

__all__ = ["FIELDS", "apply_registration", "registration_problems", "registration_spec"]

TEXT = {"sponsor": 200, "official_title": 200, "registry_id": 60, "indication": 200}
TEXT |= {"primary_objective": 200}
CHOICE = {
    "trial_phase": c.TrialPhase,
    "blinding": c.Blinding,
    "control_type": c.ControlType,
    "study_type": c.StudyType,
    "trial_type": c.TrialType,
}
FLAGS = ("randomised", "add_on")
FIELDS = (*TEXT, *CHOICE, "planned_subjects", "study_start_date", *FLAGS)


def _block(data: dict[str, Any]) -> dict[str, Any]:
    block = data.get("registration") or {}
    return block if isinstance(block, dict) else {}


def registration_problems(data: dict[str, Any]) -> list[str]:
    """Every problem of the document's registration block, in words."""
    raw = data.get("registration")
    if raw is None:
        return []
    if not isinstance(raw, dict):
        return ["Registration: must be an object."]
    problems = []
    unknown = set(raw) - set(FIELDS)
    if unknown:
        problems.append(f"Registration: unknown key(s) {', '.join(sorted(unknown))}.")
    for key, limit in TEXT.items():
        value = raw.get(key, "")
        if not isinstance(value, str) or len(value) > limit:
            problems.append(f"Registration: {key} must be text of at most {limit} characters.")
    for key, vocabulary in CHOICE.items():
        value = raw.get(key, "")
        if value and value not in vocabulary.values:
            problems.append(f"Registration: {key} must be one of {', '.join(vocabulary.values)}.")
    planned = raw.get("planned_subjects")
    if planned is not None and (
        not isinstance(planned, int) or isinstance(planned, bool) or planned < 1
    ):
        problems.append("Registration: planned_subjects must be a whole number of at least 1.")
    start = raw.get("study_start_date")
    if start not in (None, ""):
        try:
            dt.date.fromisoformat(str(start))
        except ValueError:
            problems.append("Registration: study_start_date must be a date (YYYY-MM-DD).")
    for key in FLAGS:
        if not isinstance(raw.get(key, False), bool):
            problems.append(f"Registration: {key} must be true or false.")
    return problems


def apply_registration(protocol: Any, data: dict[str, Any]) -> None:
    """Copy the document's registration block onto ``protocol`` (empty for missing keys)."""
    block = _block(data)
    for key in TEXT:
        setattr(protocol, key, (block.get(key) or "").strip())
    for key in CHOICE:
        setattr(protocol, key, block.get(key) or "")
    if not protocol.study_type:
        protocol.study_type = c.StudyType.INTERVENTIONAL
    protocol.planned_subjects = block.get("planned_subjects")
    start = block.get("study_start_date")
    protocol.study_start_date = dt.date.fromisoformat(str(start)) if start else None
    for key in FLAGS:
        setattr(protocol, key, bool(block.get(key, False)))


def registration_spec(protocol: Any) -> dict[str, Any]:
    """The protocol's registration as a document block (``protocol_export``)."""
    start = protocol.study_start_date
    return {
        **{key: getattr(protocol, key) for key in (*TEXT, *CHOICE)},
        "planned_subjects": protocol.planned_subjects,
        "study_start_date": start.isoformat() if start else None,
        **{key: getattr(protocol, key) for key in FLAGS},
    }
