"""Instrument dictionaries: REDCap data-dictionary CSV and project XML import, export, lookup.

An import changes nothing it does not have to: a form identical to its instrument is left as
it is (and said so), a changed one is shown field by field and replaced only when asked, and
once it has responses only when the change adds fields or choices (REDCap's rule for projects
in production).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from neuroregen.core.audit import stamp
from neuroregen.core.errors import NotFound
from neuroregen.core.permissions import require
from neuroregen.core.roles import Capability
from neuroregen.instruments import choices as c
from neuroregen.instruments import definitions
from neuroregen.instruments.dictionary_diff import (
    RECORD_ID,
    Change,
    diff_rows,
    only_adds,
    record_id_row,
    without_record_id_row,
)
from neuroregen.instruments.errors import DictionaryRejected
from neuroregen.instruments.models import Field, Instrument
from neuroregen.instruments.redcap import DictionaryRow, Problem, read_dictionary, write_dictionary
from neuroregen.instruments.redcap_project import Project, is_xml, read_project


@dataclass
class DictionaryImport:
    """What an import did, form by form, in the file's order."""

    instruments: list[Instrument] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    replaced: dict[str, list[str]] = field(default_factory=dict)  # code → change lines
    unchanged: list[str] = field(default_factory=list)
    project: Project | None = None


def read_file(
    text: str, known: frozenset[str]
) -> tuple[list[DictionaryRow], Project | None, list[Problem]]:
    """The rows of a dictionary CSV or a REDCap project XML, whichever the text is."""
    if is_xml(text):
        project, problems = read_project(text, known)
        return (project.rows if project else []), project, problems
    rows, problems = read_dictionary(text, known)
    return rows, None, problems


def _known_fields(excluding: set[str]) -> frozenset[str]:
    """Fields of the instruments already here, which the file's logic may refer to."""
    return frozenset(
        Field.objects.exclude(instrument__code__in=excluding).values_list("field_name", flat=True)
    )


def dictionary_import(
    *, user: Any | None, text: str, title: str = "", reason: str = "", replace: bool = False
) -> list[Instrument]:
    """Import a REDCap data dictionary or project XML: one instrument per form. All or nothing.

    See :func:`dictionary_import_report`; returns the file's instruments in its order."""
    return dictionary_import_report(
        user=user, text=text, title=title, reason=reason, replace=replace
    ).instruments


@transaction.atomic
def dictionary_import_report(
    *, user: Any | None, text: str, title: str = "", reason: str = "", replace: bool = False
) -> DictionaryImport:
    """Import a REDCap data dictionary (CSV) or project XML. All or nothing.

    ``user`` None means a server operator running the command line. Raises
    :class:`DictionaryRejected` listing every problem by line and column (XML: line and
    path), and every change a refused replacement would make. Every field created, changed or
    removed gets a history row with the user and ``reason``.
    """
    if user is not None:
        require(user, Capability.MANAGE_INSTRUMENTS)
    rows, project, problems = read_file(text, frozenset())
    if problems:
        # read again knowing the other instruments' fields (REDCap logic may use any field)
        forms = {row.form_name for row in rows}
        rows, project, problems = read_file(text, _known_fields(forms))
    grouped: dict[str, list[DictionaryRow]] = defaultdict(list)
    for row in rows:
        grouped[row.form_name].append(row)
    grouped = {code: without_record_id_row(form_rows) for code, form_rows in grouped.items()}
    existing = {i.code: i for i in Instrument.objects.filter(code__in=list(grouped))}
    report = DictionaryImport(project=project)
    for code, form_rows in grouped.items():
        instrument = existing.get(code)
        if instrument is None:
            continue
        old = [f.as_row() for f in instrument.fields.all()]
        if old == form_rows:
            report.unchanged.append(code)
            continue
        changes = diff_rows(old, form_rows)
        refusal = _refusal(instrument, code, old, form_rows, replace)
        if refusal:
            problems.append(Change(0, code, refusal))
            problems.extend(Change(0, code, f"  {line}") for line in changes)
        else:
            report.replaced[code] = changes
    if problems:
        raise DictionaryRejected(problems)
    why = reason.strip() or "REDCap data dictionary imported"
    titles = project.form_titles if project else {}
    for code, form_rows in grouped.items():
        instrument = existing.get(code) or Instrument(
            code=code, title=title or titles.get(code) or code
        )
        report.instruments.append(instrument)
        if code in report.unchanged:
            continue
        if project is not None and instrument.pk is None and code in project.surveys:
            # a REDCap survey is answered by the family: offered to them by link here
            instrument.parent_completable = True
            instrument.respondents = [c.Respondent.PARENT]
        _write(instrument, form_rows, user=user, reason=why)
        if project is not None and project.translations:
            _wording(instrument, project, user=user, reason=why)
        if code not in report.replaced:
            report.created.append(code)
    return report


def _wording(instrument: Instrument, project: Project, *, user: Any | None, reason: str) -> None:
    """The labels and choices the project XML gives in other languages. A language becomes
    one of the instrument's languages when every labelled field has its wording."""
    fields = list(instrument.fields.all())
    changed = []
    for f in fields:
        given = project.translations.get(f.field_name)
        if given:
            f.translations = {**f.translations, **given}
            changed.append(f)
    for f in changed:
        f._history_user = user  # type: ignore[attr-defined]
        f._change_reason = reason  # type: ignore[attr-defined]
        f.save(update_fields=["translations"])
    labelled = [f for f in fields if f.field_label.strip()]
    languages = {lang for given in project.translations.values() for lang in given}
    complete = sorted(
        lang for lang in languages if all("label" in f.translations.get(lang, {}) for f in labelled)
    )
    added = [lang for lang in complete if lang not in instrument.languages]
    if added:
        instrument.languages = [*instrument.languages, *added]
        stamp(instrument, user=user, reason=reason)
        instrument.save()


def _refusal(
    instrument: Instrument,
    code: str,
    old: list[DictionaryRow],
    new: list[DictionaryRow],
    replace: bool,
) -> str:
    if instrument.builtin:
        return _(
            "form '%(code)s' is a built-in instrument and cannot be replaced by an import; "
            "it would change:"
        ) % {"code": code}
    if not replace:
        return _(
            "form '%(code)s' differs from the instrument already here; nothing was replaced "
            "(import with --replace to replace it). The import would change:"
        ) % {"code": code}
    if instrument.responses.exists() and not only_adds(old, new):
        return _(
            "form '%(code)s' already has responses: an import may only add fields or choices "
            "to it (import the changed form under a new form name). The import would change:"
        ) % {"code": code}
    return ""


def _write(
    instrument: Instrument, rows: list[DictionaryRow], *, user: Any | None, reason: str
) -> None:
    instrument.licence = instrument.licence or c.Licence.LOCAL
    if not instrument.languages:
        instrument.languages = ["en"]
    replacing = instrument.pk is not None
    if not replacing:
        stamp(instrument, user=user, reason=reason)
        instrument.save()
    dropped = definitions.fields_replace(instrument=instrument, rows=rows, user=user, reason=reason)
    if replacing:
        instrument.languages = [lang for lang in instrument.languages if lang not in dropped]
        instrument.languages_missing = {
            **instrument.languages_missing,
            **dict.fromkeys(sorted(dropped), "wording changed by a dictionary import"),
        }
        stamp(instrument, user=user, reason=reason)
        instrument.save()


def export_rows(instrument: Instrument) -> list[DictionaryRow]:
    """The instrument's rows as REDCap's upload expects them: the record-id field first."""
    rows = [f.as_row() for f in instrument.fields.all()]
    if not any(row.field_name == RECORD_ID for row in rows):
        rows.insert(0, record_id_row(instrument.code))
    return rows


def dictionary_export(*, instrument: Instrument) -> str:
    """The instrument as a REDCap data dictionary CSV that re-imports as it is, even here."""
    return write_dictionary(export_rows(instrument))


def instrument_get(code: str) -> Instrument:
    found = Instrument.objects.filter(code=code).first()
    if found is None:
        raise NotFound(_("Unknown instrument '%(code)s'.") % {"code": code})
    return found
