"""Published wording of an instrument in another language, loaded from a CSV sheet.

NeuroRegen never invents translations of a validated questionnaire: a language is offered to
families only once its wording has been imported from a named published source (for ATEC, the
Autism Research Institute's Russian or Ukrainian form). The sheet has one row per field:

``field_name, field_label_en, choices_en, section_header_en, field_label, choices,
section_header, field_note`` — the ``*_en`` columns are the English reference for the
translator and are ignored on import. ``translation_template`` writes such a sheet, already
filled with any wording imported before.

The import checks the whole sheet first (every field covered, the same answer codes in the same
order as the English form, no unknown or repeated field) and changes nothing unless every row is
right; each problem is reported with its line and column.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from neuroregen.core.audit import stamp as stamp_audit
from neuroregen.instruments.errors import DictionaryRejected
from neuroregen.instruments.models import Field, Instrument
from neuroregen.instruments.redcap import Problem, parse_choices

COLUMNS = (
    "field_name",
    "field_label_en",
    "choices_en",
    "section_header_en",
    "field_label",
    "choices",
    "section_header",
    "field_note",
)
REQUIRED_COLUMNS = ("field_name", "field_label", "choices", "section_header")
# Types whose answer options are written by the form author (yes/no are the app's own words).
TYPES_WITH_CHOICES = {"radio", "dropdown", "checkbox", "slider"}


def translation_template(*, instrument: Instrument, language: str) -> str:
    """The sheet a translator fills in (CSV, CRLF line ends)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for field in instrument.fields.all():
        done = field.translations.get(language) or {}
        writer.writerow(
            [
                field.field_name,
                field.field_label,
                field.choices if field.field_type in TYPES_WITH_CHOICES else "",
                field.section_header,
                done.get("label", ""),
                done.get("choices", ""),
                done.get("section_header", ""),
                done.get("field_note", ""),
            ]
        )
    return out.getvalue()


def _language_problems(instrument: Instrument, language: str, source: str) -> list[Problem]:
    problems = []
    offered = {code for code, _name in settings.LANGUAGES}
    if language == "en":
        problems.append(Problem(0, "", "English is the form's own wording; nothing to import"))
    elif language not in offered:
        problems.append(
            Problem(0, "", f"language '{language}' is not one of {', '.join(sorted(offered))}")
        )
    if not source.strip():
        problems.append(
            Problem(
                0,
                "",
                "name the published source of this wording (--source), e.g. the "
                "publisher's form and its year",
            )
        )
    return problems


def _read(text: str) -> tuple[list[tuple[int, dict[str, str]]], list[Problem]]:
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    try:
        header = [h.strip() for h in (reader.fieldnames or [])]
    except csv.Error as exc:
        return [], [Problem(1, "", f"not a readable CSV file ({exc})")]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        return [], [Problem(1, c, "the column is missing") for c in missing]
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        for raw in reader:
            cells = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if k}
            if any(cells.values()):
                rows.append((reader.line_num, cells))
    except csv.Error as exc:
        return rows, [Problem(reader.line_num, "", f"the CSV cannot be read here ({exc})")]
    return rows, []


def _field_problems(line: int, field: Field, cells: dict[str, str]) -> list[Problem]:
    problems = []
    if field.field_label.strip() and not cells.get("field_label"):
        problems.append(Problem(line, "field_label", "the translated label is empty"))
    if field.section_header.strip() and not cells.get("section_header"):
        problems.append(Problem(line, "section_header", "the translated section header is empty"))
    if field.field_type == "slider" and field.choices.strip():
        # A slider's cell is "left | middle | right" labels, not coded answers.
        parts = len(field.choices.split("|"))
        if len(cells.get("choices", "").split("|")) != parts:
            problems.append(
                Problem(line, "choices", f"a slider needs {parts} labels separated by '|'")
            )
    elif field.field_type in TYPES_WITH_CHOICES and field.choices.strip():
        english = [code for code, _label in parse_choices(field.choices)]
        try:
            translated = parse_choices(cells.get("choices", ""))
        except ValueError as exc:
            return [*problems, Problem(line, "choices", str(exc))]
        codes = [code for code, _label in translated]
        if codes != english:
            problems.append(
                Problem(
                    line,
                    "choices",
                    f"answer codes {codes or '(none)'} differ from the English form's {english}",
                )
            )
        elif any(not label for _code, label in translated):
            problems.append(Problem(line, "choices", "an answer option has no wording"))
    return problems


def translation_check(
    *, instrument: Instrument, language: str, text: str, source: str
) -> tuple[dict[str, dict[str, str]], list[Problem]]:
    """Field name → translated wording, and every problem in the sheet."""
    problems = _language_problems(instrument, language, source)
    rows, read_problems = _read(text)
    problems.extend(read_problems)
    fields = {f.field_name: f for f in instrument.fields.all()}
    wording: dict[str, dict[str, str]] = {}
    for line, cells in rows:
        name = cells.get("field_name", "")
        field = fields.get(name)
        if field is None:
            problems.append(
                Problem(line, "field_name", f"'{name}' is not a field of {instrument.code}")
            )
            continue
        if name in wording:
            problems.append(Problem(line, "field_name", f"'{name}' appears more than once"))
            continue
        problems.extend(_field_problems(line, field, cells))
        wording[name] = {
            key: cells.get(column, "")
            for key, column in (
                ("label", "field_label"),
                ("choices", "choices"),
                ("section_header", "section_header"),
                ("field_note", "field_note"),
            )
            if cells.get(column, "")
        }
    if not read_problems:
        for name, field in fields.items():
            if name not in wording and field.field_label.strip():
                problems.append(Problem(0, "field_name", f"field '{name}' has no row"))
    return wording, problems


def translation_import(
    *,
    instrument: Instrument,
    language: str,
    text: str,
    source: str,
    imported_by: str = "",
    user: Any | None = None,
) -> int:
    """Store the published wording for ``language``; all or nothing. Returns fields updated.

    ``user`` None means a server operator on the command line (``imported_by`` may name them).
    Each changed field gets a history row with the user and the source as the reason.
    """
    wording, problems = translation_check(
        instrument=instrument, language=language, text=text, source=source
    )
    if problems:
        raise DictionaryRejected(problems)
    with transaction.atomic():
        locked = Instrument.objects.select_for_update().get(pk=instrument.pk)
        fields = list(locked.fields.filter(field_name__in=list(wording)))
        for field in fields:
            field.translations = {**field.translations, language: wording[field.field_name]}
        reason = f"published {language} wording imported: {source.strip()}"[:300]
        bulk_update_with_history(
            fields, Field, ["translations"], default_user=user, default_change_reason=reason
        )
        locked.languages = [*[code for code in locked.languages if code != language], language]
        locked.languages_missing = {
            k: v for k, v in locked.languages_missing.items() if k != language
        }
        stamp = timezone.now().date().isoformat()
        provenance = f"{language} wording: {source.strip()} (imported {stamp}"
        by = imported_by or (user.get_username() if user is not None else "")
        provenance += f" by {by})" if by else ")"
        locked.source = f"{locked.source}\n{provenance}".strip()
        # The source is in the instrument's provenance text; its own reason stays short.
        stamp_audit(locked, user=user, reason=f"published {language} wording imported")
        locked.save()
    instrument.refresh_from_db()
    return len(fields)
