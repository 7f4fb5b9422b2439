"""Forms on the one row of a record in a classic (not longitudinal, not repeating) project.

A classic REDCap project keeps every form of a record on a single row, with no event and no
repeat instance. Here forms belong to visits, so each form on such a row goes to the
participant's one visit that expects it in the schedule or already holds it; a form that
several visits expect cannot be placed honestly and is reported (the file then needs
``redcap_repeat_instrument`` / ``redcap_repeat_instance``, as our flat export writes).
"""

from __future__ import annotations

from typing import Any

from neuroregen.instruments.models import Response
from neuroregen.interop.records import Problem, RecordRow


def place_base_rows(
    rows: list[RecordRow],
    participants: dict[str, Any],
    visits: dict[int, list[Any]],
    columns: dict[str, list[str]],
    problems: list[Problem],
) -> list[RecordRow]:
    """``rows`` with each base row carrying forms replaced by one row per placed form."""
    base = [
        r
        for r in rows
        if not r.repeat_instrument
        and not r.visit_code
        and r.record_id in participants
        and visits.get(participants[r.record_id].pk)  # no visits yet: reported as such
    ]
    carried = {id(row): carried_forms(row, columns) for row in base}
    if not any(carried.values()):
        return rows
    started = set(
        Response.objects.filter(
            participant__in=[participants[r.record_id] for r in base],
            instrument__code__in={code for forms in carried.values() for code in forms},
        ).values_list("visit_id", "instrument__code")
    )
    placed: list[RecordRow] = []
    for row in rows:
        forms = carried.get(id(row))
        if not forms:
            placed.append(row)
            continue
        own = visits.get(participants[row.record_id].pk, [])
        for code in forms:
            at = [
                n
                for n, visit in enumerate(own, start=1)
                if code in visit.scheduled or (visit.pk, code) in started
            ]
            if len(at) != 1:
                problems.append(Problem(row.where, f"{code}_complete", _unplaced(code, own, at)))
                continue
            cells = {c: row.cells[c] for c in columns[code] if c in row.cells}
            placed.append(
                RecordRow(
                    where=row.where,
                    record_id=row.record_id,
                    cells=cells,
                    repeat_instrument=code,
                    repeat_instance=str(at[0]),
                )
            )
    return placed


def carried_forms(row: RecordRow, columns: dict[str, list[str]]) -> list[str]:
    """The forms a row carries: a value in any column (a bare status 0 says nothing)."""
    return sorted(
        code
        for code, names in columns.items()
        if any(
            row.cells.get(name) and not (name.endswith("_complete") and row.cells[name] == "0")
            for name in names
        )
    )


def _unplaced(code: str, visits: list[Any], at: list[int]) -> str:
    if not at:
        return (
            f"{code} is on the record's row but no visit of this participant expects it or holds it"
        )
    names = ", ".join(visits[n - 1].code for n in at)
    return (
        f"{code} is expected at several visits ({names}): give redcap_repeat_instrument and "
        "redcap_repeat_instance"
    )
