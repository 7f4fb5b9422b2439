"""Replacing an instrument's fields from an imported data dictionary, with history.

Fields are matched by name: a field whose cells differ is updated in place, a new name is
created and a name no longer in the dictionary is deleted — each writes a history row with the
acting user and the reason, so the audit trail shows the definition before and after. Bulk
writes go through simple-history's ``*_with_history`` helpers (plain ``bulk_create`` /
``bulk_update`` would bypass the history).

Published translations stay with a field whose English wording is unchanged; where the wording
changed, the translation no longer translates it, so it is dropped and that language is marked
missing until its published wording is imported again.
"""

from __future__ import annotations

from typing import Any

from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from neuroregen.instruments.models import Field, Instrument
from neuroregen.instruments.redcap import DictionaryRow

WORDING = ("field_label", "choices", "section_header", "field_note")
CELLS = tuple(DictionaryRow.__dataclass_fields__)


def fields_replace(
    *, instrument: Instrument, rows: list[DictionaryRow], user: Any | None, reason: str
) -> set[str]:
    """Make the instrument's fields those of ``rows``, in order. Returns the languages whose
    published wording was dropped because the English wording changed."""
    existing = {f.field_name: f for f in instrument.fields.all()}
    new, changed = [], []
    dropped: set[str] = set()
    for order, row in enumerate(rows):
        cells = {"order": order, **row.as_dict()}
        field = existing.pop(row.field_name, None)
        if field is None:
            new.append(Field(instrument=instrument, **cells))
            continue
        if all(getattr(field, name) == value for name, value in cells.items()):
            continue
        if field.translations and any(getattr(field, n) != cells[n] for n in WORDING):
            dropped.update(field.translations)
            field.translations = {}
        for name, value in cells.items():
            setattr(field, name, value)
        changed.append(field)
    for gone in existing.values():
        gone._history_user = user  # type: ignore[attr-defined]
        gone._change_reason = reason  # type: ignore[attr-defined]
        gone.delete()
    if changed:
        bulk_update_with_history(
            changed,
            Field,
            [*CELLS, "order", "translations"],
            batch_size=500,
            default_user=user,
            default_change_reason=reason,
        )
    if new:
        bulk_create_with_history(
            new, Field, batch_size=500, default_user=user, default_change_reason=reason
        )
    return dropped
