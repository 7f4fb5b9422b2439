"""Cross-field rules of an adverse event, over plain values.

Shared by the form, the services, the API and importers. Each rule returns ``{field: message}``
with a message that names what is wrong; an empty dict means the values are consistent.
Grade (severity) and seriousness are independent: a grade 4 event need not be serious and a
grade 1 event that prolongs a hospital stay is serious — only death ties them (grade 5).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _

from neuroregen.safety import choices as c

# Longest narrative an event or a follow-up note may carry; longer text is pasted by mistake
# (a whole record or file) and would swamp the DSMB tables and the exports.
NARRATIVE_MAX_LENGTH = 10_000


def text_length_errors(data: dict[str, Any], fields: tuple[str, ...]) -> dict[str, str]:
    """A message for each of ``fields`` whose text is longer than the narrative limit."""
    errors: dict[str, str] = {}
    for field in fields:
        length = len(str(data.get(field) or ""))
        if length > NARRATIVE_MAX_LENGTH:
            errors[field] = _(
                "The text is too long: at most %(limit)d characters are allowed "
                "(this has %(length)d)."
            ) % {"limit": NARRATIVE_MAX_LENGTH, "length": length}
    return errors


def criteria_ticked(data: dict[str, Any]) -> list[str]:
    """The seriousness criteria ticked in ``data`` (by criterion code)."""
    return [code for code, name in c.CRITERION_FIELDS.items() if data.get(name)]


def adverse_event_errors(
    data: dict[str, Any],
    *,
    today: dt.date,
    aware_on: dt.date | None = None,
    birth: dt.date | None = None,
) -> dict[str, str]:
    """Every inconsistency in an adverse event's values.

    ``data`` holds the model's field values plus ``serious`` (what the reporter says:
    True, False or None when not stated). ``aware_on`` is the site-local date the site
    became aware of the event; ``birth`` the child's date of birth, when known.
    """
    errors: dict[str, str] = text_length_errors(data, ("description",))
    if not (data.get("term") or "").strip():
        errors["term"] = _("Name the event (the reported term).")
    onset = data.get("onset_date")
    resolution = data.get("resolution_date")
    grade = data.get("grade")
    outcome = data.get("outcome")
    ticked = criteria_ticked(data)
    if onset is None:
        errors["onset_date"] = _("The onset date is required.")
    elif onset > today:
        errors["onset_date"] = _("The onset date %(day)s is in the future.") % {"day": onset}
    elif birth is not None and onset < birth:
        errors["onset_date"] = _(
            "The onset date %(day)s is before the child's birth (%(birth)s)."
        ) % {"day": onset, "birth": birth}
    if resolution is not None:
        if onset is not None and resolution < onset:
            errors["resolution_date"] = _(
                "The resolution date (%(resolution)s) is before the onset date (%(onset)s)."
            ) % {"resolution": resolution, "onset": onset}
        elif resolution > today:
            errors["resolution_date"] = _("The resolution date %(day)s is in the future.") % {
                "day": resolution
            }
        elif outcome in (c.Outcome.RECOVERING, c.Outcome.NOT_RECOVERED):
            errors["resolution_date"] = _(
                "A resolution date is given but the outcome says the event has not resolved."
            )
    if grade not in c.Grade.values:
        errors["grade"] = _("Choose a CTCAE grade from 1 to 5.")
    elif grade == c.Grade.DEATH and outcome != c.Outcome.FATAL:
        label = c.Outcome(outcome).label if outcome in c.Outcome.values else outcome
        errors["outcome"] = _(
            "Grade 5 means the event caused death: the outcome cannot be “%(outcome)s”."
        ) % {"outcome": label}
    elif outcome == c.Outcome.FATAL and grade != c.Grade.DEATH:
        errors["grade"] = _("A fatal outcome is grade 5 (death) in CTCAE v5.")
    if grade == c.Grade.DEATH and c.SeriousnessCriterion.DEATH not in ticked:
        errors["serious_death"] = _(
            "A grade 5 event resulted in death: tick the seriousness criterion “Results in death”."
        )
    serious = data.get("serious")
    if serious is True and not ticked:
        errors["serious"] = _(
            "The event is marked serious but no seriousness criterion is ticked: tick the "
            "criterion that makes it serious (ICH E2A)."
        )
    elif serious is False and ticked:
        errors["serious"] = _(
            "A seriousness criterion is ticked, so the event is serious: untick the criterion "
            "or mark the event serious."
        )
    if aware_on is not None:
        if aware_on > today:
            errors["aware_at"] = _("The awareness date is in the future.")
        elif onset is not None and aware_on < onset:
            errors["aware_at"] = _(
                "The site cannot have become aware (%(aware)s) before the onset (%(onset)s)."
            ) % {"aware": aware_on, "onset": onset}
    return errors
