"""What a dictionary import would change in an instrument, field by field.

Pure (no Django). The change lines are shown before anything is replaced; :func:`only_adds`
is REDCap's rule for a project in production: once data exist, a draft may add fields and add
choices to a field, and change nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

from neuroregen.instruments.redcap import COLUMN_OF, DictionaryRow, Problem, parse_choices

# A form a dictionary refers to as REDCap's upload expects it: the record-id field first. An
# instrument export adds this row when the instrument has no record-id field of its own; the
# annotation marks it, so an import knows it is not one of the instrument's fields.
RECORD_ID = "record_id"
RECORD_ID_NOTE = "@READONLY record id of REDCap's upload; not a field of this instrument"


def record_id_row(form: str) -> DictionaryRow:
    return DictionaryRow(
        field_name=RECORD_ID,
        form_name=form,
        field_type="text",
        field_label="Record ID",
        field_annotation=RECORD_ID_NOTE,
    )


def without_record_id_row(rows: list[DictionaryRow]) -> list[DictionaryRow]:
    if rows and rows[0] == record_id_row(rows[0].form_name):
        return rows[1:]
    return rows


@dataclass(frozen=True)
class Change(Problem):
    """A line of a refused import's explanation (a change, or why it is refused)."""

    def __str__(self) -> str:
        return self.message


def _shown(value: str) -> str:
    return repr(value if len(value) <= 80 else value[:77] + "...")


def diff_rows(old: list[DictionaryRow], new: list[DictionaryRow]) -> list[str]:
    """One line per field added, removed or changed (cell by cell), and a moved order."""
    before = {row.field_name: row for row in old}
    after = {row.field_name: row for row in new}
    lines: list[str] = []
    for row in new:
        was = before.get(row.field_name)
        if was is None:
            lines.append(f"+ {row.field_name} ({row.field_type}): {_shown(row.field_label)}")
            continue
        for name, column in COLUMN_OF.items():
            left, right = getattr(was, name), getattr(row, name)
            if left != right:
                lines.append(f"~ {row.field_name}, {column}: {_shown(left)} → {_shown(right)}")
    lines.extend(
        f"- {row.field_name} ({row.field_type})" for row in old if row.field_name not in after
    )
    kept_old = [r.field_name for r in old if r.field_name in after]
    kept_new = [r.field_name for r in new if r.field_name in before]
    if kept_old != kept_new:
        lines.append("~ the order of the fields changes")
    return lines


def _adds_choices(old: DictionaryRow, new: DictionaryRow) -> bool:
    """The new row is the old one with choices added (every old code keeps its label)."""
    if {**old.as_dict(), "choices": ""} != {**new.as_dict(), "choices": ""}:
        return False
    if old.field_type not in ("dropdown", "radio", "checkbox"):
        return old.choices == new.choices
    try:
        old_pairs, new_pairs = parse_choices(old.choices), dict(parse_choices(new.choices))
    except ValueError:
        return False
    return all(new_pairs.get(code) == label for code, label in old_pairs)


def only_adds(old: list[DictionaryRow], new: list[DictionaryRow]) -> bool:
    """The change only adds fields or choices, keeping the existing fields in their order."""
    after = {row.field_name: row for row in new}
    if any(row.field_name not in after for row in old):
        return False
    kept = [r.field_name for r in new if r.field_name in {o.field_name for o in old}]
    if kept != [r.field_name for r in old]:
        return False
    return all(_adds_choices(row, after[row.field_name]) for row in old)
