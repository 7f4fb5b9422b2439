"""The error summary at the top of a refused data-entry form: every problem, with a link to it.

A refused whole-form save is drawn again at the top of the page; the summary lists all its
problems at once (the form's own, the answer date's, each question's and each file's), in the
order of the form, each linked to the place where it is corrected.
"""

from __future__ import annotations

from typing import Any


def summary_rows(meta: Any, fields: list[Any], errors: dict[str, str]) -> list[dict[str, str]]:
    """Rows of ``{"anchor", "label", "message"}``; ``anchor`` is empty when nothing to link."""
    rows = [{"anchor": "", "label": "", "message": str(e)} for e in meta.non_field_errors()]
    for name, problems in meta.errors.items():
        if name == "__all__" or name not in meta.fields:
            continue
        for problem in problems:
            label = str(meta.fields[name].label or name)
            anchor = "" if meta.fields[name].widget.is_hidden else f"id_{name}"
            rows.append({"anchor": anchor, "label": label, "message": str(problem)})
    by_name = {f.field_name: f for f in fields}
    for field in fields:
        name = field.field_name
        if name in errors and field.field_type == "file":
            rows.append(
                {"anchor": f"file-{name}", "label": field.field_label, "message": errors[name]}
            )
        elif name in errors:
            label = " ".join(filter(None, [field.question_number, field.field_label]))
            rows.append({"anchor": f"q-{name}", "label": label, "message": errors[name]})
    for name, message in errors.items():
        if name not in by_name:
            rows.append({"anchor": "", "label": "", "message": message})
    return rows
