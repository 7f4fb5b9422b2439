"""What a questionnaire page says about completeness: the error summary of a refused form and
the "N of M answered" counter. Shared by the staff entry page and the family survey."""

from __future__ import annotations

from typing import Any

from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from neuroregen.instruments import completeness
from neuroregen.instruments.errors import AnswersInvalid, FormIncomplete


def summary_items(fields: list[Any], errors: dict[str, str], language: str) -> list[dict[str, str]]:
    """Every error of a refused form in form order, each with the anchor of its question
    (``q-<field>``)."""
    by_name = {f.field_name: f for f in fields}
    order = {name: i for i, name in enumerate(by_name)}
    items = []
    for name in sorted(errors, key=lambda n: order.get(n, len(order))):
        field = by_name.get(name)
        label = field.label_in(language) if field is not None else name
        number = f"{field.question_number} " if field is not None and field.question_number else ""
        items.append({"anchor": f"q-{name}", "label": f"{number}{label}", "message": errors[name]})
    return items


def error_summary(
    fields: list[Any], refused: AnswersInvalid | None, language: str, *, staff: bool
) -> dict[str, Any]:
    """The summary at the top of a refused form: a title and every error, linked."""
    if refused is None:
        return {"summary": [], "summary_title": ""}
    if isinstance(refused, FormIncomplete):
        n = len(refused.missing_items)
        if staff:
            title = ngettext(
                "The form cannot be saved as complete: %(n)s required question needs an "
                "answer or a missing-data code.",
                "The form cannot be saved as complete: %(n)s required questions need an "
                "answer or a missing-data code.",
                n,
            ) % {"n": n}
        else:
            title = ngettext(
                "The questionnaire cannot be submitted yet: %(n)s question still needs an answer.",
                "The questionnaire cannot be submitted yet: %(n)s questions still need an answer.",
                n,
            ) % {"n": n}
    else:
        title = str(refused.message or _("Some answers are not valid; nothing was saved."))
    return {
        "summary": summary_items(fields, refused.errors, language),
        "summary_title": title,
    }


def progress(fields: list[Any], answers: dict, missing: dict) -> dict[str, Any]:
    """Questions shown and answered (or coded), with the numbers marked up for the live
    counter (static ``neuroregen/progress.js``)."""
    answered, total = completeness.answered_count(fields, answers, missing)
    return {
        "answered": answered,
        "total": total,
        "answered_html": format_html("<span data-progress-answered>{}</span>", answered),
        "total_html": format_html("<span data-progress-total>{}</span>", total),
    }
