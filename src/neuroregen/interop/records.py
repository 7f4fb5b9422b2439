"""REDCap records CSV: write (flat or longitudinal) and read into plain rows. No database writes.

Layout, as REDCap exports it:

- the first column is the record-id field (``record_id`` in our exports; REDCap lets a
  project name it anything, e.g. ``study_id``, and a file is read by position, not by name);
  its value is the participant's study code (or a record id mapped to one on import);
- **longitudinal**: one row per record × event; the event of a visit is ``<visit code>_arm_<n>``
  (lower case; ``n`` is the arm's position among the protocol's arms ordered by code);
- **flat** (classic project): one base row per record, then one row per completed form with
  ``redcap_repeat_instrument`` = form and ``redcap_repeat_instance`` = the visit's position in
  the child's schedule (1 = first visit by target day);
- checkbox fields become one ``field___code`` column per choice (``1``/``0``) plus one per
  missing-data code; other fields hold their value or a missing-data code (``NASK`` …);
- ``<form>_complete`` is REDCap's form status: ``0`` Incomplete (ours: in progress), ``1``
  Unverified (ours: complete, every required item answered or coded), ``2`` Complete (ours:
  verified);
- a form recorded as *not done* (REDCap has no such status) is written as form status ``0``,
  every item holding the missing-data code ``NASK`` (not asked) and the reason in the column
  ``<form>_not_done_reason``; that column is present only when some form of the instrument
  was not done, so exports without one keep exactly the dictionary's columns (a project
  uploading such a file to REDCap declares ``<form>_not_done_reason`` as a text field);
- descriptive and file fields have no column; calculated fields are written but recomputed,
  never read, on import.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Container
from dataclasses import dataclass, field
from itertools import compress
from typing import Any

from neuroregen.instruments.choices import MissingCode, ResponseStatus
from neuroregen.instruments.entry import NO_INPUT
from neuroregen.instruments.redcap import DATE_VALIDATIONS, parse_choices
from neuroregen.interop.csvsafe import unneutralise, write_csv
from neuroregen.interop.dataset import Dataset

RECORD_ID = "record_id"  # the record-id field's name in our exports
EVENT = "redcap_event_name"
REPEAT_INSTRUMENT = "redcap_repeat_instrument"
REPEAT_INSTANCE = "redcap_repeat_instance"
EVENT_NAME = re.compile(r"^(?P<visit>[a-z0-9][a-z0-9_\-]*)_arm_(?P<arm>\d+)$")
COMPLETE = {
    ResponseStatus.IN_PROGRESS: "0",
    ResponseStatus.COMPLETE: "1",
    ResponseStatus.VERIFIED: "2",
}
MISSING_CODES = tuple(MissingCode.values)
# Fields whose choices are codes a missing-data code must not shadow (a slider's are labels,
# an sql field's a query)
CODED_CHOICES = frozenset({"dropdown", "radio"})
NOT_DONE_CODE = MissingCode.NOT_ASKED.value  # what the items of a form not done hold
# Columns REDCap adds to an export that carry no answer: read, never imported.
IGNORED = frozenset({"redcap_survey_identifier", "redcap_data_access_group"})


@dataclass(frozen=True)
class Problem:
    """What is wrong and where: ``where`` is "line 7" in a CSV, an element path in ODM."""

    where: str
    column: str
    message: str

    def __str__(self) -> str:
        column = f', column "{self.column}"' if self.column else ""
        return f"{self.where}{column}: {self.message}"


def _data_fields(instrument: Any) -> list[Any]:
    return [f for f in instrument.fields.all() if f.field_type not in NO_INPUT - {"calc"}]


def checkbox_column(name: str, code: str) -> str:
    return f"{name}___{code.lower()}"


def form_columns(instrument: Any) -> list[str]:
    """The record columns of one form, in dictionary order, ending with ``<form>_complete``."""
    columns: list[str] = []
    for f in _data_fields(instrument):
        if f.field_type == "checkbox":
            codes = [code for code, _label in parse_choices(f.choices)]
            columns.extend(checkbox_column(f.field_name, c) for c in [*codes, *MISSING_CODES])
        else:
            columns.append(f.field_name)
    columns.append(f"{instrument.code}_complete")
    return columns


NOT_DONE_SUFFIX = "_not_done_reason"


def reason_column(code: str) -> str:
    """The column holding why a form of instrument ``code`` was not done."""
    return f"{code}{NOT_DONE_SUFFIX}"


def import_columns(instrument: Any) -> list[str]:
    """Every column an import reads for one form: :func:`form_columns` and the reason."""
    return [*form_columns(instrument), reason_column(instrument.code)]


def not_done_cells(response: Any) -> dict[str, str]:
    """A form not done: status 0, every item coded not asked, the reason in its column."""
    cells: dict[str, str] = {}
    for f in _data_fields(response.instrument):
        name = f.field_name
        if f.field_type == "checkbox":
            for choice, _label in parse_choices(f.choices):
                cells[checkbox_column(name, choice)] = "0"
            for missing in MISSING_CODES:
                cells[checkbox_column(name, missing)] = "1" if missing == NOT_DONE_CODE else "0"
        else:
            cells[name] = "" if f.field_type == "calc" else NOT_DONE_CODE
    cells[f"{response.instrument.code}_complete"] = "0"
    cells[reason_column(response.instrument.code)] = response.not_done_reason
    return cells


def response_cells(response: Any, *, shift: Any = None) -> dict[str, str]:
    """The cells of one response; ``shift`` (date → date) moves date-validated answers."""
    if response.status == ResponseStatus.NOT_DONE:
        return not_done_cells(response)
    cells: dict[str, str] = {}
    for f in _data_fields(response.instrument):
        name = f.field_name
        code = response.missing.get(name, "")
        value = response.answers.get(name)
        if f.field_type == "checkbox":
            ticked = set(value or []) if isinstance(value, list) else ({value} if value else set())
            for choice, _label in parse_choices(f.choices):
                cells[checkbox_column(name, choice)] = "1" if choice in ticked else "0"
            for missing in MISSING_CODES:
                cells[checkbox_column(name, missing)] = "1" if code == missing else "0"
            continue
        if code:
            cells[name] = code
        elif value in (None, ""):
            cells[name] = ""
        elif shift is not None and f.validation in DATE_VALIDATIONS:
            import datetime as dt

            cells[name] = shift(dt.date.fromisoformat(str(value))).isoformat()
        else:
            cells[name] = str(value)
    cells[f"{response.instrument.code}_complete"] = COMPLETE.get(response.status, "0")
    return cells


def event_visit(visit_code: str) -> str:
    """A visit code as REDCap's event names spell it: lower case, underscores."""
    return re.sub(r"[^a-z0-9]+", "_", visit_code.lower()).strip("_")


def event_name(visit_code: str, arm_number: int) -> str:
    """REDCap's unique event name of a visit in an arm (``bl_arm_1``)."""
    return f"{event_visit(visit_code)}_arm_{arm_number}"


def _not_done_codes(dataset: Dataset) -> set[str]:
    return {
        r.instrument.code
        for responses in dataset.responses.values()
        for r in responses
        if r.status == ResponseStatus.NOT_DONE
    }


def export_records(
    dataset: Dataset,
    *,
    longitudinal: bool = True,
    instruments: Container[str] | None = None,
    record_id: str = RECORD_ID,
) -> str:
    """The dataset's instrument data as a REDCap records CSV (formula-safe).

    ``instruments`` limits the file to those forms (REDCap's upload of one instrument still
    needs the record-id field first); ``record_id`` names that field as the project does.
    """
    chosen = [i for i in dataset.instruments if instruments is None or i.code in instruments]
    not_done = _not_done_codes(dataset)
    columns: list[str] = []
    for instrument in chosen:
        columns.extend(form_columns(instrument))
        if instrument.code in not_done:
            columns.append(reason_column(instrument.code))
    # The record-id field is also a field of the project's first form: one column, first.
    columns = [c for c in columns if c != record_id]
    codes = {i.code for i in chosen}
    head = [record_id, EVENT] if longitudinal else [record_id, REPEAT_INSTRUMENT, REPEAT_INSTANCE]
    rows: list[list[str]] = []
    for participant in dataset.participants:
        assignment = dataset.assignments[participant.pk]

        def shift(day: Any, participant: Any = participant) -> Any:
            return dataset.shift(participant, day)

        shifter = shift if dataset.options.shift_dates else None
        visits = dataset.visits.get(participant.pk, [])
        if not longitudinal:
            rows.append([participant.study_code, "", "", *([""] * len(columns))])
        for visit in visits:
            responses = [
                r for r in dataset.responses.get(visit.pk, []) if r.instrument.code in codes
            ]
            if not responses:
                continue
            if longitudinal:
                arm = assignment.arm.code if assignment.arm else ""
                number = dataset.arm_number(arm) if arm in [a.code for a in dataset.arms] else 1
                cells: dict[str, str] = {}
                for response in responses:
                    cells.update(response_cells(response, shift=shifter))
                rows.append(
                    [
                        participant.study_code,
                        event_name(visit.code, number),
                        *(cells.get(c, "") for c in columns),
                    ]
                )
                continue
            instance = str(dataset.visit_ordinal(participant, visit))
            for response in responses:
                cells = response_cells(response, shift=shifter)
                rows.append(
                    [
                        participant.study_code,
                        response.instrument.code,
                        instance,
                        *(cells.get(c, "") for c in columns),
                    ]
                )
    return write_csv([*head, *columns], rows)


# --- reading -------------------------------------------------------------------------------


@dataclass
class RecordRow:
    """One row of a records file, before it is matched to the database."""

    where: str
    record_id: str
    cells: dict[str, str]
    event: str = ""  # longitudinal
    repeat_instrument: str = ""  # flat
    repeat_instance: str = ""
    visit_code: str = ""  # set directly by readers that know the visit (ODM)
    problems: list[Problem] = field(default_factory=list)


def read_records(text: str) -> tuple[list[RecordRow], list[str], list[Problem]]:
    """Rows, the header and structural problems (bad CSV, ragged rows, no record-id column).

    The first column is the record-id field whatever its name (REDCap's rule: the first field
    of the dictionary); it is returned in the header as named in the file.
    """
    text = text.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        return [], [], [Problem("line 1", "", "the file is empty")]
    except csv.Error as exc:
        return [], [], [Problem("line 1", "", f"not a readable CSV file ({exc})")]
    problems: list[Problem] = []
    if not header or not header[0] or header[0] in (EVENT, REPEAT_INSTRUMENT, REPEAT_INSTANCE):
        problems.append(
            Problem(
                "line 1",
                header[0] if header else "",
                "the first column must be the record-id field (e.g. record_id or study_id)",
            )
        )
        return [], header, problems
    id_column = header[0]
    for name in sorted({h for h in header if header.count(h) > 1}):
        problems.append(Problem("line 1", name, "the column appears more than once"))
    rows: list[RecordRow] = []
    line = 1
    try:
        for cells in reader:
            start = line + 1
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            where = f"line {start}"
            if len(cells) != len(header):
                problems.append(
                    Problem(
                        where, "", f"the row has {len(cells)} cells; the header has {len(header)}"
                    )
                )
                continue
            if "'" in "".join(cells):  # a cell this system may have neutralised
                values = {h: unneutralise(c.strip()) for h, c in zip(header, cells, strict=True)}
            else:
                values = dict(zip(header, map(str.strip, cells), strict=True))
            rows.append(
                RecordRow(
                    where=where,
                    record_id=values.pop(id_column),
                    event=values.pop(EVENT, ""),
                    repeat_instrument=values.pop(REPEAT_INSTRUMENT, ""),
                    repeat_instance=values.pop(REPEAT_INSTANCE, ""),
                    cells=values,
                )
            )
    except csv.Error as exc:
        problems.append(Problem(f"line {line + 1}", "", f"the CSV cannot be read here ({exc})"))
    return rows, header, problems


def form_values(
    instrument: Any, cells: dict[str, str], where: str
) -> tuple[dict[str, Any], dict[str, str], str, bool, list[Problem]]:
    """(answers, missing codes, complete flag, has data?, problems) of one form in a row."""
    return FormReader(instrument).read(cells, where)


class FormReader:
    """:func:`form_values` for one instrument, prepared once for the many rows of a file."""

    def __init__(self, instrument: Any) -> None:
        self.complete_column = f"{instrument.code}_complete"
        # (field name, checkbox?, checkbox columns and codes | codes read as missing-data codes)
        self.parts: list[tuple[str, bool, Any]] = []
        self.names: list[str] = []  # the plain fields' names: their columns
        for f in _data_fields(instrument):
            if f.field_type == "calc":
                continue  # recomputed from the answers
            if f.field_type == "checkbox":
                codes = [c for c, _label in parse_choices(f.choices)] + list(MISSING_CODES)
                columns = [(checkbox_column(f.field_name, c), c) for c in codes]
                self.parts.append((f.field_name, True, columns))
            else:
                own = f.choices if f.field_type in CODED_CHOICES else ""
                self.parts.append((f.field_name, False, _missing_codes(own)))
                self.names.append(f.field_name)
        self.codes = {name: codes for name, _checkbox, codes in self.parts}
        self.plain_only = len(self.names) == len(self.parts) and not any(
            isinstance(codes, _Unreadable) for codes in self.codes.values()
        )

    def read(
        self, cells: dict[str, str], where: str
    ) -> tuple[dict[str, Any], dict[str, str], str, bool, list[Problem]]:
        if self.plain_only:
            return self._read_plain(cells, where)
        answers: dict[str, Any] = {}
        missing: dict[str, str] = {}
        problems: list[Problem] = []
        has_data = False
        for name, is_checkbox, spec in self.parts:
            if is_checkbox:
                ticked: list[str] = []
                coded: list[str] = []
                for column, code in spec:
                    value = cells.get(column, "")
                    if value not in ("", "0", "1"):
                        problems.append(Problem(where, column, f"'{value}' must be 1, 0 or empty"))
                    elif value == "1":
                        (coded if code in MISSING_CODES else ticked).append(code)
                if len(coded) > 1:
                    problems.append(
                        Problem(where, f"{name}___*", "more than one missing-data code is ticked")
                    )
                if coded:
                    missing[name] = coded[0]
                if ticked:
                    answers[name] = ticked
                has_data = has_data or bool(ticked or coded)
                continue
            value = cells.get(name, "")
            if not value:
                continue
            has_data = True
            if value in spec:
                missing[name] = value
            else:
                answers[name] = value
        complete = self._complete(cells, where, problems)
        return answers, missing, complete, has_data or complete in ("1", "2"), problems

    def _read_plain(
        self, cells: dict[str, str], where: str
    ) -> tuple[dict[str, Any], dict[str, str], str, bool, list[Problem]]:
        """:meth:`read` of a form without checkboxes: its cells taken in one pass (the same
        answers and codes, in field order)."""
        values: list[Any] = list(map(cells.get, self.names))  # the non-blank ones are kept
        given: dict[str, str] = dict(compress(zip(self.names, values, strict=True), values))
        answers: dict[str, Any] = given
        missing: dict[str, str] = {}
        if not _MISSING.isdisjoint(given.values()):  # some cell holds a missing-data code
            answers = {}
            for name, value in given.items():
                if value in self.codes[name]:
                    missing[name] = value
                else:
                    answers[name] = value
        problems: list[Problem] = []
        complete = self._complete(cells, where, problems)
        return answers, missing, complete, bool(given) or complete in ("1", "2"), problems

    def _complete(self, cells: dict[str, str], where: str, problems: list[Problem]) -> str:
        complete = cells.get(self.complete_column, "")
        if complete not in ("", "0", "1", "2"):
            problems.append(Problem(where, self.complete_column, f"'{complete}' must be 0, 1 or 2"))
        return complete


def _missing_codes(choices: str) -> Container[str]:
    """The missing-data codes a plain field reads as such: those that are not its own choices."""
    try:
        own = {c for c, _label in parse_choices(choices)} if choices else set()
    except ValueError as error:
        return _Unreadable(error)
    return frozenset(c for c in MISSING_CODES if c not in own)


_MISSING = frozenset(MISSING_CODES)


class _Unreadable:
    """Choices that cannot be parsed fail when a value of the field is read, not before (a
    field no row answers does not stop the file)."""

    def __init__(self, error: ValueError) -> None:
        self.error = error

    def __contains__(self, value: object) -> bool:
        raise ValueError(str(self.error))


def tidy_rows(dataset: Dataset) -> tuple[list[str], list[list[Any]]]:
    """One row per participant × visit × item or score (the long format analysts ask for).

    A form not done is one row of kind ``not_done``: no item, the reason as its value.
    """
    header = [
        "study_code",
        "site",
        "arm",
        "visit",
        "phase",
        "study_day",
        "date",
        "instrument",
        "kind",
        "item",
        "value",
        "missing_code",
        "status",
        "synthetic",
    ]
    rows: list[list[Any]] = []
    for participant in dataset.participants:
        assignment = dataset.assignments[participant.pk]
        arm = assignment.arm.code if assignment.arm else ""
        for visit in dataset.visits.get(participant.pk, []):
            for response in dataset.responses.get(visit.pk, []):
                on = response.answered_on or visit.done_on
                day = dataset.study_day(participant, on)
                base = [
                    participant.study_code,
                    participant.site.code,
                    arm,
                    visit.code,
                    visit.phase,
                    "" if day is None else day,
                    (dataset.shift(participant, on) or ""),
                    response.instrument.code,
                ]
                tail = [response.status, participant.site.is_synthetic]
                if response.status == ResponseStatus.NOT_DONE:
                    rows.append([*base, "not_done", "", response.not_done_reason, "", *tail])
                    continue
                for name in sorted(set(response.answers) | set(response.missing)):
                    value = response.answers.get(name, "")
                    if isinstance(value, list):
                        value = "|".join(value)
                    rows.append([*base, "item", name, value, response.missing.get(name, ""), *tail])
                for code, score in sorted(response.scores.items()):
                    value = score.get("value") if isinstance(score, dict) else score
                    rows.append([*base, "score", code, "" if value is None else value, "", *tail])
    return header, rows


def export_tidy(dataset: Dataset) -> str:
    header, rows = tidy_rows(dataset)
    return write_csv(header, rows)
