"""Instrument dictionaries: REDCap data-dictionary import and export, and lookup by code."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from neuroregen.core.audit import stamp
from neuroregen.core.errors import NotFound
from neuroregen.core.permissions import require
from neuroregen.core.roles import Capability
from neuroregen.instruments import choices as c
from neuroregen.instruments import definitions
from neuroregen.instruments.errors import (
    DictionaryRejected,
)
from neuroregen.instruments.models import (
    Instrument,
)
from neuroregen.instruments.redcap import Problem, read_dictionary, write_dictionary


@transaction.atomic
def dictionary_import(
    *, user: Any | None, text: str, title: str = "", reason: str = ""
) -> list[Instrument]:
    """Import a REDCap data dictionary: one instrument per form. All or nothing.

    ``user`` None means a server operator running the command line. Raises
    :class:`DictionaryRejected` listing every problem by line and column. Every field created,
    changed or removed gets a history row with the user and ``reason``.
    """
    if user is not None:
        require(user, Capability.MANAGE_INSTRUMENTS)
    rows, problems = read_dictionary(text)
    forms: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        forms[row.form_name].append(row)
    existing = {i.code: i for i in Instrument.objects.filter(code__in=list(forms))}
    for code, instrument in existing.items():
        if instrument.builtin:
            problems.append(
                Problem(
                    0,
                    "Form Name",
                    _(
                        "form '%(code)s' is a built-in instrument "
                        "and cannot be replaced by an import"
                    )
                    % {"code": code},
                )
            )
        elif instrument.responses.exists():
            problems.append(
                Problem(
                    0,
                    "Form Name",
                    _(
                        "form '%(code)s' already has responses; "
                        "import the changed form under a new form name"
                    )
                    % {"code": code},
                )
            )
    if problems:
        raise DictionaryRejected(problems)
    why = reason.strip() or "REDCap data dictionary imported"
    imported = []
    for code, form_rows in forms.items():
        instrument = existing.get(code) or Instrument(code=code, title=title or code)
        instrument.licence = instrument.licence or c.Licence.LOCAL
        if not instrument.languages:
            instrument.languages = ["en"]
        replacing = instrument.pk is not None
        if not replacing:
            stamp(instrument, user=user, reason=why)
            instrument.save()
        dropped = definitions.fields_replace(
            instrument=instrument, rows=form_rows, user=user, reason=why
        )
        if replacing:
            instrument.languages = [lang for lang in instrument.languages if lang not in dropped]
            instrument.languages_missing = {
                **instrument.languages_missing,
                **dict.fromkeys(sorted(dropped), "wording changed by a dictionary import"),
            }
            stamp(instrument, user=user, reason=why)
            instrument.save()
        imported.append(instrument)
    return imported


def dictionary_export(*, instrument: Instrument) -> str:
    """The instrument as a REDCap data dictionary CSV (reads back identical)."""
    return write_dictionary([f.as_row() for f in instrument.fields.all()])


def instrument_get(code: str) -> Instrument:
    found = Instrument.objects.filter(code=code).first()
    if found is None:
        raise NotFound(_("Unknown instrument '%(code)s'.") % {"code": code})
    return found
