"""REDCap data dictionary CSV: read with every problem listed by row and column, and write.

Pure (no Django). The 18 columns and their headers are REDCap's, in REDCap's order. A row keeps
every cell exactly as read, so a dictionary we wrote reads back and writes out byte for byte.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import functools
import io
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from typing import Any

import charset_normalizer

from neuroregen.instruments import logic

HEADERS: tuple[str, ...] = (
    "Variable / Field Name",
    "Form Name",
    "Section Header",
    "Field Type",
    "Field Label",
    "Choices, Calculations, OR Slider Labels",
    "Field Note",
    "Text Validation Type OR Show Slider Number",
    "Text Validation Min",
    "Text Validation Max",
    "Identifier?",
    "Branching Logic (Show field only if...)",
    "Required Field?",
    "Custom Alignment",
    "Question Number (surveys only)",
    "Matrix Group Name",
    "Matrix Ranking?",
    "Field Annotation",
)

FIELD_TYPES = frozenset(
    {
        "text",
        "notes",
        "dropdown",
        "radio",
        "checkbox",
        "yesno",
        "truefalse",
        "calc",
        "slider",
        "descriptive",
        "file",
        "sql",
    }
)
CHOICE_TYPES = frozenset({"dropdown", "radio", "checkbox"})
# REDCap's validation types (its redcap_validation_types table, as the Online Designer offers
# them), with the legacy names its dictionary upload still accepts (date, datetime, int,
# float). Values are stored in Y-M-D and with a point or comma as typed, whatever the order.
DATE_VALIDATIONS = frozenset({"date_ymd", "date_mdy", "date_dmy", "date"})
DATETIME_VALIDATIONS = frozenset(
    {
        "datetime_ymd",
        "datetime_mdy",
        "datetime_dmy",
        "datetime_seconds_ymd",
        "datetime_seconds_mdy",
        "datetime_seconds_dmy",
        "datetime",
    }
)
INTEGER_VALIDATIONS = frozenset({"integer", "int"})
NUMBER_VALIDATIONS = frozenset(
    {
        "number",
        "float",
        "number_1dp",
        "number_2dp",
        "number_3dp",
        "number_4dp",
        "number_comma_decimal",
        "number_1dp_comma_decimal",
        "number_2dp_comma_decimal",
        "number_3dp_comma_decimal",
        "number_4dp_comma_decimal",
    }
)
TIME_VALIDATIONS = frozenset({"time", "time_hh_mm_ss", "time_mm_ss"})
# Text types whose whole check is a pattern (REDCap's own regular expressions).
PATTERN_VALIDATIONS: dict[str, re.Pattern[str]] = {
    "alpha_only": re.compile(r"[a-z]+", re.IGNORECASE),
    "email": re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+"),
    "mrn_10d": re.compile(r"\d{10}"),
    "mrn_generic": re.compile(r"[a-z0-9_-]+", re.IGNORECASE),
    "vmrn": re.compile(r"[0-9]{4,9}"),
    "phone": re.compile(
        r"\(?([2-9]0[1-9]|[2-9]1[02-9]|[2-9][2-9][0-9]|8(00|33|44|55|66|77|88))\)?\s*[.-]?\s*([2-9]\d{2})"
        r"\s*[.-]?\s*(\d{4})(\s*(#|x\.?|ext\.?|extension)\s*\d+)?",
        re.IGNORECASE,
    ),
    "phone_australia": re.compile(r"(\(0[2-8]\)|0[2-8])\s*\d{4}\s*\d{4}"),
    "phone_uk": re.compile(
        r"((((\+44|0044)\s?\d{4}|\(?0\d{4}\)?)\s?\d{3}\s?\d{3})"
        r"|(((\+44|0044)\s?\d{3}|\(?0\d{3}\)?)\s?\d{3}\s?\d{4})"
        r"|(((\+44|0044)\s?\d{2}|\(?0\d{2}\)?)\s?\d{4}\s?\d{4}))(\s?\#(\d{4}|\d{3}))?"
    ),
    "postalcode_australia": re.compile(r"\d{4}"),
    "postalcode_canada": re.compile(r"[ABCEGHJKLMNPRSTVXY]\d[A-Z]\s*\d[A-Z]\d", re.IGNORECASE),
    "postalcode_french": re.compile(r"((0?[1-9])|([1-8][0-9])|(9[0-8]))[0-9]{3}"),
    "postalcode_germany": re.compile(r"(0[1-9]|[1-9]\d)\d{3}"),
    "postalcode_uk": re.compile(r"(([A-Z]{1,2}\d{1,2})|([A-Z]{1,2}\d[A-Z])) \d[ABD-HJLNP-Z]{2}"),
    "postalcode_us": re.compile(r"\d{5}(-\d{4})?"),
    "ssn": re.compile(r"\d{3}-\d\d-\d{4}"),
    "zipcode": re.compile(r"\d{5}(-\d{4})?"),
}
VALIDATIONS = frozenset(
    {
        *DATE_VALIDATIONS,
        *DATETIME_VALIDATIONS,
        *INTEGER_VALIDATIONS,
        *NUMBER_VALIDATIONS,
        *TIME_VALIDATIONS,
        *PATTERN_VALIDATIONS,
    }
)
# The validation cell of other field types: a searchable dropdown, a signature pad
VALIDATIONS_OF_TYPE = {
    "dropdown": frozenset({"autocomplete"}),
    "sql": frozenset({"autocomplete"}),
    "file": frozenset({"signature"}),
}
BOUND_KEYWORDS = frozenset({"today", "now"})  # dates and times: the day or moment of entry
ALIGNMENTS = frozenset({"", "LV", "LH", "RV", "RH"})
NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class DictionaryRow:
    """One field: the 18 cells of a REDCap dictionary row, as text."""

    field_name: str
    form_name: str
    section_header: str = ""
    field_type: str = "text"
    field_label: str = ""
    choices: str = ""
    field_note: str = ""
    validation: str = ""
    validation_min: str = ""
    validation_max: str = ""
    identifier: str = ""
    branching_logic: str = ""
    required: str = ""
    custom_alignment: str = ""
    question_number: str = ""
    matrix_group: str = ""
    matrix_ranking: str = ""
    field_annotation: str = ""

    def cells(self) -> list[str]:
        return [getattr(self, f.name) for f in fields(self)]

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


COLUMN_OF = dict(zip((f.name for f in fields(DictionaryRow)), HEADERS, strict=True))


@dataclass(frozen=True)
class Problem:
    """What is wrong, where: the file line (1 = header) and the REDCap column."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f', column "{self.column}"' if self.column else "")
        return f"{where}: {self.message}"


def parse_choices(text: str) -> list[tuple[str, str]]:
    """'1, Yes | 0, No' → [('1', 'Yes'), ('0', 'No')]. Raises ValueError on a malformed entry."""
    # parsed once per distinct text (every answer of every form is checked against its
    # field's choices); a fresh list each time, so a caller may change it
    return list(_parse_choices(text))


@functools.lru_cache(maxsize=4096)
def _parse_choices(text: str) -> tuple[tuple[str, str], ...]:
    pairs: list[tuple[str, str]] = []
    if not text.strip():
        return ()
    for part in text.split("|"):
        if "," not in part:
            raise ValueError(f"'{part.strip()}' has no 'code, label' comma")
        code, label = part.split(",", 1)
        code, label = code.strip(), label.strip()
        if not code:
            raise ValueError(f"'{part.strip()}' has an empty code")
        pairs.append((code, label))
    return tuple(pairs)


class UndecodableFile(ValueError):
    """The bytes are not text in the encoding given or recognised; says where."""

    def __init__(self, message: str, line: int = 0, column: int = 0) -> None:
        self.line, self.column, self.message = line, column, message
        where = f"line {line}, column {column}: " if line else ""
        super().__init__(f"{where}{message}")


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE, whose mark it begins with
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# What dictionaries are saved as besides UTF-8: Excel's "Unicode text", and the Cyrillic and
# Western code pages of Windows and older systems.
_CANDIDATES = ["utf_16", "cp1251", "cp1252", "latin_1"]


def decode_text(raw: bytes, encoding: str | None = None) -> tuple[str, str]:
    """The text of a file and the encoding it was read with.

    With ``encoding`` given, exactly that; otherwise a byte-order mark, then UTF-8, then the
    likeliest of UTF-16, Windows-1251, Windows-1252 and Latin-1. Raises
    :class:`UndecodableFile` naming the line and column of the first byte that does not fit.
    """
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise UndecodableFile(f"'{encoding}' is not a known encoding") from None
        return _decode(raw, encoding), encoding
    for mark, name in _BOMS:
        if raw.startswith(mark):
            return _decode(raw, name), name
    if b"\x00" in raw[:4096]:
        # No text holds NUL bytes, but UTF-16 without a mark does: one per ASCII character,
        # after it (little-endian) or before it (big-endian).
        odd, even = raw[1:4096:2].count(0), raw[0:4096:2].count(0)
        name = "utf-16-le" if odd >= even else "utf-16-be"
        return _decode(raw, name), name
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as utf8_error:
        best = charset_normalizer.from_bytes(raw, cp_isolation=_CANDIDATES).best()
        if best is None:
            raise _undecodable(raw, "utf-8", utf8_error) from None
        return str(best), best.encoding


def _decode(raw: bytes, encoding: str) -> str:
    try:
        return raw.decode(encoding).removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        raise _undecodable(raw, encoding, error) from None


def _undecodable(raw: bytes, encoding: str, error: UnicodeDecodeError) -> UndecodableFile:
    start = error.start
    line_start = raw.rfind(b"\n", 0, start) + 1
    line = raw.count(b"\n", 0, start) + 1
    # the column counts characters, so decode what precedes the bad byte on its line
    column = len(raw[line_start:start].decode(encoding, errors="replace")) + 1
    return UndecodableFile(
        f"byte 0x{raw[start]:02x} is not {encoding} text (give the file's encoding)",
        line,
        column,
    )


def write_dictionary(rows: list[DictionaryRow]) -> str:
    """The CSV text of a dictionary (RFC 4180, CRLF line ends, minimal quoting)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADERS)
    for row in rows:
        writer.writerow(row.cells())
    return out.getvalue()


def read_dictionary(
    text: str, known: frozenset[str] = frozenset()
) -> tuple[list[DictionaryRow], list[Problem]]:
    """Read a dictionary. Returns its rows and every problem found (none: safe to import).

    ``known``: names of fields defined elsewhere (instruments already in the database), which
    branching logic and calculations may refer to as REDCap lets them refer to any field of
    the project."""
    text = text.removeprefix("\ufeff")
    problems: list[Problem] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return [], [Problem(1, "", "the file is empty")]
    except csv.Error as exc:
        return [], [Problem(1, "", f"not a readable CSV file ({exc})")]
    if tuple(h.strip() for h in header) != HEADERS:
        expected = len(HEADERS)
        if len(header) != expected:
            problems.append(
                Problem(1, "", f"the header has {len(header)} columns; REDCap's has {expected}")
            )
        for index, name in enumerate(HEADERS):
            found = header[index].strip() if index < len(header) else "(missing)"
            if found != name:
                problems.append(
                    Problem(1, name, f'header {index + 1} is "{found}", expected "{name}"')
                )
        return [], problems
    rows: list[tuple[int, DictionaryRow]] = []
    line = 1
    try:
        for cells in reader:
            start = line + 1
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(HEADERS):
                problems.append(
                    Problem(start, "", f"the row has {len(cells)} cells; expected {len(HEADERS)}")
                )
                continue
            rows.append((start, DictionaryRow(*cells)))
    except csv.Error as exc:
        problems.append(Problem(line + 1, "", f"the CSV cannot be read here ({exc})"))
    if not rows and not problems:
        problems.append(Problem(2, "", "the dictionary defines no fields"))
    problems.extend(check_rows(rows, known))
    problems.sort(key=lambda p: (p.line, HEADERS.index(p.column) if p.column in HEADERS else -1))
    return [row for _line, row in rows], problems


def check_rows(
    rows: list[tuple[int, DictionaryRow]], known: frozenset[str] = frozenset()
) -> list[Problem]:
    """Every problem of rows read from a file, each at the line given with its row."""
    problems: list[Problem] = []
    names: dict[str, int] = {}
    for line, row in rows:
        if row.field_name in names:
            problems.append(
                Problem(
                    line,
                    COLUMN_OF["field_name"],
                    f"'{row.field_name}' is already defined on line {names[row.field_name]}",
                )
            )
        else:
            names[row.field_name] = line
    seen_forms: list[str] = []
    groups: dict[str, tuple[int, str]] = {}
    previous_group = ""
    for line, row in rows:

        def add(column: str, message: str, line: int = line) -> None:
            problems.append(Problem(line, COLUMN_OF[column], message))

        if not NAME.match(row.field_name):
            add(
                "field_name",
                f"'{row.field_name}' must start with a lower-case letter and use only "
                "lower-case letters, digits and underscores",
            )
        elif len(row.field_name) > 100:
            add("field_name", "longer than 100 characters")
        if not NAME.match(row.form_name):
            add(
                "form_name",
                f"'{row.form_name}' must start with a lower-case letter and use only "
                "lower-case letters, digits and underscores",
            )
        elif seen_forms and row.form_name != seen_forms[-1] and row.form_name in seen_forms:
            add("form_name", f"the fields of form '{row.form_name}' must be contiguous")
        elif not seen_forms or row.form_name != seen_forms[-1]:
            seen_forms.append(row.form_name)
        kind = row.field_type
        if kind not in FIELD_TYPES:
            add(
                "field_type",
                f"'{kind}' is not a REDCap field type ({', '.join(sorted(FIELD_TYPES))})",
            )
        if kind != "descriptive" and not row.field_label.strip():
            add("field_label", "a label is required")
        _check_choices(row, kind, names.keys() | known, add)
        _check_validation(row, kind, add)
        for column in ("identifier", "required", "matrix_ranking"):
            if getattr(row, column) not in ("", "y"):
                add(column, f"'{getattr(row, column)}' must be 'y' or empty")
        if row.custom_alignment not in ALIGNMENTS:
            add(
                "custom_alignment",
                f"'{row.custom_alignment}' must be one of LV, LH, RV, RH or empty",
            )
        if row.branching_logic.strip():
            try:
                used = logic.fields_used(logic.parse(row.branching_logic))
            except logic.LogicError as exc:
                add("branching_logic", f"cannot be read: {exc}")
            else:
                for name in sorted(used - names.keys() - known):
                    add("branching_logic", f"refers to '{name}', which is not in the dictionary")
        if row.matrix_group:
            if kind not in ("radio", "checkbox"):
                add("matrix_group", "only radio and checkbox fields can be in a matrix group")
            if not NAME.match(row.matrix_group):
                add("matrix_group", f"'{row.matrix_group}' is not a valid group name")
            if row.matrix_group in groups:
                first_line, first_choices = groups[row.matrix_group]
                if previous_group != row.matrix_group:
                    add(
                        "matrix_group",
                        f"the fields of matrix group '{row.matrix_group}' must be contiguous",
                    )
                if first_choices != row.choices:
                    add(
                        "choices",
                        f"fields of matrix group '{row.matrix_group}' must share the choices "
                        f"of line {first_line}",
                    )
            else:
                groups[row.matrix_group] = (line, row.choices)
        elif row.matrix_ranking:
            add("matrix_ranking", "matrix ranking needs a matrix group")
        previous_group = row.matrix_group
    return problems


# records one problem of the row being read: column, message
_Add = Callable[[str, str], None]


def _check_choices(row: DictionaryRow, kind: str, names: set[str], add: _Add) -> None:
    if kind in CHOICE_TYPES:
        try:
            pairs = parse_choices(row.choices)
        except ValueError as exc:
            add("choices", str(exc))
            return
        if not pairs:
            add("choices", f"a {kind} field needs choices ('code, label | code, label')")
        codes = [c for c, _ in pairs]
        for code in sorted({c for c in codes if codes.count(c) > 1}):
            add("choices", f"choice code '{code}' is used twice")
        if kind == "checkbox":
            for code in codes:
                if not re.match(r"^[A-Za-z0-9_\-]+$", code):
                    add("choices", f"checkbox code '{code}' may use only letters, digits, _ and -")
    elif kind == "calc":
        if not row.choices.strip():
            add("choices", "a calc field needs its calculation")
            return
        try:
            used = logic.fields_used(logic.parse(row.choices))
        except logic.LogicError as exc:
            add("choices", f"the calculation cannot be read: {exc}")
            return
        for name in sorted(used - names):
            add("choices", f"the calculation refers to '{name}', which is not in the dictionary")
    # an sql field's "choices" cell is its query, which only a REDCap server runs: kept as read
    elif kind == "slider":
        if row.choices and len(row.choices.split("|")) > 3:
            add("choices", "a slider has at most three labels (left | middle | right)")
    elif (
        kind in ("text", "notes", "yesno", "truefalse", "file", "descriptive")
        and row.choices.strip()
    ):
        add("choices", f"a {kind} field takes no choices")


def _check_validation(row: DictionaryRow, kind: str, add: _Add) -> None:
    validation = row.validation
    if kind == "slider":
        if validation not in ("", "number"):
            add("validation", "a slider accepts only 'number' (show the number) or empty")
        bounds_kind = "number"
    elif validation and kind != "text":
        allowed = VALIDATIONS_OF_TYPE.get(kind, frozenset())
        if validation not in allowed:
            add(
                "validation",
                f"a {kind} field takes no validation type"
                if not allowed
                else f"a {kind} field takes only {' or '.join(sorted(allowed))} here",
            )
        bounds_kind = ""
    elif validation:
        if validation not in VALIDATIONS:
            add("validation", f"'{validation}' is not a REDCap validation type")
            return
        bounds_kind = validation
    else:
        bounds_kind = ""
    if not bounds_kind:
        for column in ("validation_min", "validation_max"):
            if getattr(row, column).strip():
                add(column, "a minimum or maximum needs a validation type")
        return
    parsed = {}
    for column in ("validation_min", "validation_max"):
        raw = getattr(row, column).strip()
        if not raw:
            continue
        value = bound_value(bounds_kind, raw)
        if value is None:
            add(column, f"'{raw}' is not a valid {bounds_kind} bound")
        parsed[column] = value
    low, high = parsed.get("validation_min"), parsed.get("validation_max")
    if low is not None and high is not None and low > high:
        add("validation_max", "the maximum is below the minimum")


_ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?")
_CLOCK = {
    "time": re.compile(r"\d{1,2}:\d{2}"),
    "time_hh_mm_ss": re.compile(r"\d{1,2}:\d{2}:\d{2}"),
    "time_mm_ss": re.compile(r"\d{2}:\d{2}"),
}


def bound_value(kind: str, raw: str) -> Any:
    """A min/max bound (or a value) as a comparable value: a number; ISO text for dates and
    times ('today' and 'now' are the current day and moment). None if it is not one."""
    raw = raw.strip()
    if kind in DATE_VALIDATIONS or kind in DATETIME_VALIDATIONS or kind in TIME_VALIDATIONS:
        moment = _keyword_moment(kind, raw.lower())
        if moment is not None:
            return moment
    if kind in INTEGER_VALIDATIONS:
        return int(raw) if re.fullmatch(r"[-+]?\d+", raw) else None
    if kind in NUMBER_VALIDATIONS:
        try:
            return float(raw.replace(",", ".") if "comma" in kind else raw)
        except ValueError:
            return None
    if kind in DATE_VALIDATIONS or kind in DATETIME_VALIDATIONS:
        # REDCap stores bounds in Y-M-D whatever the display format.
        return raw if _ISO_MOMENT.fullmatch(raw) else None
    if kind in TIME_VALIDATIONS:
        if not _CLOCK[kind].fullmatch(raw):
            return None
        return raw.zfill(len(raw) + 1) if raw.index(":") == 1 else raw  # 8:00 sorts as 08:00
    return raw


def _keyword_moment(kind: str, keyword: str) -> str | None:
    if keyword not in BOUND_KEYWORDS:
        return None
    now = dt.datetime.now()  # noqa: DTZ005 - REDCap compares with the local day and time
    if kind in DATE_VALIDATIONS:
        return now.date().isoformat()
    if kind in TIME_VALIDATIONS:
        return now.strftime("%M:%S" if kind == "time_mm_ss" else "%H:%M:%S")
    return now.strftime("%Y-%m-%d %H:%M:%S")
