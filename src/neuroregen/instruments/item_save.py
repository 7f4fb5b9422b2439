"""Saving one answer of a form being entered: the write behind per-item data entry.

Staff enter a form question by question; each answer is saved on its own, as soon as it is
given, so nothing typed is lost and no save ever sends the whole form. An item save changes only
its own field: the response row is locked (``select_for_update``), the one answer (or its
missing-data code) is merged into what is stored *now*, calculated fields and scores are
recomputed, and the row is saved with its history record. Two item saves therefore never
overwrite each other, whatever the order they arrive in, and need no expected version.

The version the browser last knew is still returned with the new one, so the page can tell its
own saves from someone else's: a whole-form save sends the version the page has seen and is
refused as a conflict when another person saved in between (see ``services.response_save``).

Once a form has been complete, a change needs a reason: item saves are refused then and the
whole form is saved with its reason instead.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from neuroregen.core.audit import stamp
from neuroregen.core.errors import ReasonRequired, ValidationFailed
from neuroregen.core.permissions import require
from neuroregen.core.roles import Capability
from neuroregen.instruments import choices as c
from neuroregen.instruments import completeness, entry, services
from neuroregen.instruments.errors import AnswersInvalid
from neuroregen.instruments.models import Instrument, Response
from neuroregen.instruments.prepared import PreparedInstrument
from neuroregen.participants import choices as pc
from neuroregen.participants.services import ensure_data_entry_allowed
from neuroregen.protocols import timeline

# The reason recorded with each item save of a form not yet complete (as the whole-form save).
IN_PROGRESS_REASON = "entry in progress"


@dataclass(frozen=True)
class ItemSaved:
    """What the page needs after one answer is saved, without drawing the form again."""

    response: Response
    previous_version: int  # the row's version just before this save
    calcs: dict[str, Any]  # every calculated field's value
    shown: list[str]  # fields the branching logic shows now
    cleared: list[str]  # answers dropped because their question is now hidden


def _response_for_update(
    *, user: Any, visit: Any, instrument: Instrument, respondent: str, language: str
) -> Response:
    """The visit's response, locked; started first when there is none.

    Two first answers may race to start the form; the unique constraint lets one win and the
    other then locks the row the winner created.
    """
    locked = Response.objects.select_for_update(of=("self",)).select_related("participant__site")
    found = locked.filter(visit=visit, instrument=instrument).first()
    if found is None:
        try:
            with transaction.atomic():
                services.response_start(
                    user=user,
                    visit=visit,
                    instrument=instrument,
                    respondent=respondent,
                    language=language,
                )
        except IntegrityError:
            pass
        found = locked.get(visit=visit, instrument=instrument)
    # The definition already read (fields and scores prefetched) serves the rules below too.
    found.instrument = instrument
    return found


def _merge(
    stored: dict[str, Any], codes: dict[str, str], name: str, value: Any, code: str
) -> tuple[dict[str, Any], dict[str, str]]:
    answers = {k: v for k, v in stored.items() if k != name}
    missing = {k: v for k, v in codes.items() if k != name}
    if value not in (None, "", []):
        answers[name] = value
    if code:
        missing[name] = code
    return answers, missing


@transaction.atomic
def response_item_save(
    *,
    user: Any,
    visit: Any,
    instrument: Instrument,
    field_name: str,
    value: Any,
    missing_code: str = "",
    respondent: str = c.Respondent.CLINICIAN,
    language: str = "",
    answered_on: dt.date | None = None,
) -> ItemSaved:
    """Save one answer (``value``; a list for a checkbox) or missing-data code of one field.

    Raises :class:`AnswersInvalid` (nothing saved) when the answer cannot be stored,
    :class:`ReasonRequired` when the form has been complete, and the usual permission and
    withdrawal errors.
    """
    participant = visit.participant
    require(user, Capability.MANAGE_PARTICIPANT, participant.site)
    prepared = PreparedInstrument(instrument)  # reads fields and scores once (prefetched)
    field = next((f for f in prepared.fields if f.field_name == field_name), None)
    if field is None or field.field_type in entry.NO_INPUT:
        raise AnswersInvalid(
            {field_name: _("'%(name)s' is not a field of this form.") % {"name": field_name}}
        )
    if field.field_type == "checkbox":
        value = [value] if isinstance(value, str) else list(value or [])
    elif isinstance(value, list | tuple):
        value = value[-1] if value else ""
    response = _response_for_update(
        user=user, visit=visit, instrument=instrument, respondent=respondent, language=language
    )
    # The same test as the whole-form save: ever complete, by the audit trail.
    if response.history.filter(status=c.ResponseStatus.COMPLETE).exists():
        raise ReasonRequired(
            _("This form has been complete: change it with the whole form and give a reason."),
            field="reason",
        )
    today = timeline.today_at(participant.site.time_zone)  # the site's date, not the server's
    on = answered_on or response.answered_on or today
    if on > today:
        raise ValidationFailed(_("The answer date is in the future."), field="answered_on")
    ensure_data_entry_allowed(participant, pc.DataEntryKind.CONTACT, on=on)

    answers, missing = _merge(response.answers, response.missing, field_name, value, missing_code)
    # Only the saved field is checked: the others were checked when they were stored.
    one_value = {field_name: answers[field_name]} if field_name in answers else {}
    one_code = {field_name: missing[field_name]} if field_name in missing else {}
    cleaned, codes, errors = prepared.clean(one_value, one_code)
    # The same range rules as the whole-form save, so no answer outside its range is kept.
    errors = {
        **completeness.range_errors(prepared.fields, cleaned, instrument.scores.all()),
        **errors,
    }
    if errors:
        raise AnswersInvalid(errors)
    answers, missing = _merge(
        answers, missing, field_name, cleaned.get(field_name), codes.get(field_name, "")
    )
    # As the whole-form save does: a question the branching now hides keeps no answer.
    computed = prepared.stored_answers(answers, missing)
    shown = {f.field_name for f in entry.shown_fields(prepared.fields, computed, missing)}
    inputs = {f.field_name for f in prepared.fields if f.field_type not in entry.NO_INPUT}
    cleared = sorted(n for n in (set(answers) | set(missing)) & inputs if n not in shown)
    answers = {k: v for k, v in answers.items() if k not in cleared}
    missing = {k: v for k, v in missing.items() if k not in cleared}

    previous_version = response.row_version
    response.answers = prepared.stored_answers(answers, missing)
    response.missing = missing
    response.scores = prepared.scores(response.answers, missing)
    response.respondent = response.respondent or respondent
    response.answered_on = on
    if response.entered_by_id is None:
        response.entered_by = user
    if response.status == c.ResponseStatus.NOT_DONE:
        response.status = c.ResponseStatus.IN_PROGRESS
        response.not_done_reason = ""
    stamp(response, user=user, reason=IN_PROGRESS_REASON)
    response.save()
    services.quality_check_response(response=response, user=user)
    calcs = {f.field_name: response.answers.get(f.field_name, "") for f in prepared.fields}
    return ItemSaved(
        response=response,
        previous_version=previous_version,
        calcs={n: v for n, v in calcs.items() if n not in inputs},
        shown=sorted(shown),
        cleared=cleared,
    )
