"""Audit trail: every clinical model keeps its history, and edits after first entry need a reason.

django-simple-history stores who, when, and the full row before and after each change; the
reason goes into ``history_change_reason``. The rule "a reason for every edit after first
entry" is enforced in ``save()``/``delete()`` so no code path (service, admin, shell) skips it.
``QuerySet.update()`` bypasses both: write through services.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from simple_history.models import HistoricalRecords

from neuroregen.core.errors import AppendOnlyError, ReasonRequired


class AuditedModel(models.Model):
    """Base for clinical data: history on every change, reason required after first entry."""

    row_version = models.PositiveIntegerField(
        default=1, editable=False, help_text="Incremented on each save; detects concurrent edits."
    )
    history = HistoricalRecords(inherit=True)

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            reason = (getattr(self, "_change_reason", None) or "").strip()
            if not reason:
                raise ReasonRequired(model=type(self).__name__)
            self.row_version += 1
        super().save(*args, **kwargs)
        # A reason explains one change; the next edit of this instance must give its own.
        self._change_reason = ""

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if not (getattr(self, "_change_reason", None) or "").strip():
            raise ReasonRequired(model=type(self).__name__)
        return super().delete(*args, **kwargs)


class AppendOnlyModel(AuditedModel):
    """A timeline entry: written once, never edited or deleted (corrections are new entries)."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError()


def stamp(obj: models.Model, *, user: Any, reason: str | None) -> None:
    """Attach the acting user and the reason to the next history record of ``obj``."""
    obj._history_user = user  # type: ignore[attr-defined]
    obj._change_reason = (reason or "").strip()  # type: ignore[attr-defined]


def _shown(obj: models.Model, name: str, value: Any) -> Any:
    """A coded value as its translated label (a status reads "включён", not "enrolled")."""
    try:
        field = obj._meta.get_field(name)
    except FieldDoesNotExist:
        return value
    choices = getattr(field, "flatchoices", None)
    return dict(choices).get(value, value) if choices else value


MASK = "•••"


def history_rows(obj: models.Model, *, masked: Iterable[str] = ()) -> list[dict[str, Any]]:
    """The object's history, newest first, with field-level differences for each change.

    Values of ``masked`` fields are replaced (the reader may not see them; that they changed,
    when, by whom and why stays visible).
    """
    hidden = set(masked)
    records = list(obj.history.all().select_related("history_user"))  # type: ignore[attr-defined]
    rows: list[dict[str, Any]] = []
    for index, record in enumerate(records):
        previous = records[index + 1] if index + 1 < len(records) else None
        changes = []
        if previous is not None:
            delta = record.diff_against(previous, excluded_fields=["row_version"])
            changes = [
                {
                    "field": c.field,
                    "old": MASK if c.field in hidden else c.old,
                    "new": MASK if c.field in hidden else c.new,
                    # what people read: a coded value as its translated label
                    "old_shown": MASK if c.field in hidden else _shown(obj, c.field, c.old),
                    "new_shown": MASK if c.field in hidden else _shown(obj, c.field, c.new),
                }
                for c in delta.changes
            ]
        rows.append(
            {
                "when": record.history_date,
                "user": record.history_user,
                "type": record.get_history_type_display(),
                "reason": record.history_change_reason or "",
                "changes": changes,
            }
        )
    return rows
