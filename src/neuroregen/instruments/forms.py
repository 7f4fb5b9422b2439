"""Forms rendered from instrument definitions, and the small fixed forms around them.

Definition-driven forms are not Django ``Form`` classes: fields come from the database, so
``answers_from_post`` reads a POST and ``field_views`` prepares what the template shows
(visibility from branching logic, calc values, choices in the chosen language, errors).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from neuroregen.core.errors import ValidationFailed
from neuroregen.instruments import choices as c
from neuroregen.instruments import entry, files
from neuroregen.instruments.redcap import DATE_VALIDATIONS, INTEGER_VALIDATIONS, NUMBER_VALIDATIONS
from neuroregen.participants.forms import BootstrapMixin


def answers_from_post(
    fields: list[Any], post: Any, *, with_missing: bool
) -> tuple[dict[str, Any], dict[str, str]]:
    """Answers and missing codes from a POST; fields hidden by branching are dropped."""
    answers: dict[str, Any] = {}
    missing: dict[str, str] = {}
    for field in fields:
        name = field.field_name
        if field.field_type in entry.NO_INPUT:
            continue
        if field.field_type == "checkbox":
            ticked = [v for v in post.getlist(name) if v]
            if ticked:
                answers[name] = ticked
        else:
            value = (post.get(name) or "").strip()
            if value:
                answers[name] = value
        if with_missing and post.get(f"{name}__missing"):
            missing[name] = post.get(f"{name}__missing")
    values = entry.compute_calcs(fields, answers, missing)
    shown = {f.field_name for f in entry.shown_fields(fields, values, missing)}
    answers = {k: v for k, v in answers.items() if k in shown}
    missing = {k: v for k, v in missing.items() if k in shown}
    return answers, missing


def files_from_post(
    fields: list[Any], uploaded: Any
) -> tuple[dict[str, files.CheckedFile], dict[str, str]]:
    """Checked uploads for the form's file fields, and a message for each refused one."""
    checked: dict[str, files.CheckedFile] = {}
    errors: dict[str, str] = {}
    for field in fields:
        upload = uploaded.get(field.field_name) if field.field_type == "file" else None
        if upload is None:
            continue
        try:
            checked[field.field_name] = files.check(upload)
        except ValidationFailed as error:
            errors[field.field_name] = error.message
    return checked, errors


@dataclass
class FieldView:
    field: Any
    name: str
    kind: str
    label: str
    section: str
    note: str
    value: Any
    missing: str
    shown: bool
    error: str
    choices: list[tuple[str, str]]
    number: str
    input_type: str
    hidden_on_survey: bool = False
    # "en" when the item is shown in its English source wording because no translation into
    # the form's language is loaded (an unchecked published translation is not shipped).
    wording_language: str = ""


def needs_live(fields: list[Any], *, survey: bool) -> bool:
    """True when answers change what is shown (branching) or computed (visible calc fields)."""
    return any(
        f.branching_logic.strip()
        or (f.field_type == "calc" and not (survey and "@HIDDEN-SURVEY" in f.field_annotation))
        for f in fields
    )


def field_views(
    fields: list[Any],
    answers: dict[str, Any],
    missing: dict[str, str],
    errors: dict[str, str],
    language: str,
) -> list[FieldView]:
    values = entry.compute_calcs(fields, answers, missing)
    evaluation = entry.evaluation_values(values, missing)
    views = []
    for field in fields:
        kind = field.field_type
        input_type = "text"
        if field.validation in INTEGER_VALIDATIONS or (
            field.validation in NUMBER_VALIDATIONS and "comma" not in field.validation
        ):  # a browser's number input refuses a decimal comma: those stay text
            input_type = "number"
        elif field.validation in DATE_VALIDATIONS:
            input_type = "date"
        elif field.validation == "email":
            input_type = "email"
        choices: list[tuple[str, str]] = []
        if kind in ("radio", "dropdown", "checkbox", "yesno", "truefalse"):
            choices = field.choice_pairs(language)
        views.append(
            FieldView(
                field=field,
                name=field.field_name,
                kind=kind,
                label=field.label_in(language),
                section=field.section_in(language),
                note=field.field_note,
                value=values.get(field.field_name, [] if kind == "checkbox" else ""),
                missing=missing.get(field.field_name, ""),
                shown=entry.is_shown(field, evaluation),
                error=errors.get(field.field_name, ""),
                choices=choices,
                number=field.question_number,
                input_type=input_type,
                hidden_on_survey="@HIDDEN-SURVEY" in field.field_annotation,
                wording_language=""
                if language == "en" or (field.translations or {}).get(language)
                else "en",
            )
        )
    return views


class ResponseMetaForm(BootstrapMixin, forms.Form):
    """Who answered, in which language and when; the reason once the form has been complete."""

    respondent = forms.ChoiceField(label=_("Answered by"), choices=c.Respondent.choices)
    language = forms.ChoiceField(
        label=_("Language of the form"),
        choices=[("en", _("English")), ("ru", _("Russian")), ("uk", _("Ukrainian"))],
    )
    answered_on = forms.DateField(
        label=_("Answered on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    row_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reason = forms.CharField(
        label=_("Reason for change"),
        max_length=300,
        required=False,
        help_text=_("Required: this form was complete and is being changed."),
    )

    def __init__(self, *args: Any, reason_required: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not reason_required:
            del self.fields["reason"]
        else:
            self.fields["reason"].required = True
        self._style()


class NotDoneForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(label=_("Why was it not done?"), max_length=300)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class LinkForm(BootstrapMixin, forms.Form):
    language = forms.ChoiceField(
        label=_("Family's language"),
        choices=[("en", _("English")), ("ru", _("Russian")), ("uk", _("Ukrainian"))],
    )
    valid_days = forms.IntegerField(
        label=_("Valid for (days)"), min_value=1, max_value=30, initial=7
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class DictionaryUploadForm(BootstrapMixin, forms.Form):
    file = forms.FileField(label=_("REDCap data dictionary (CSV) or project XML"))
    title = forms.CharField(label=_("Title for new instruments"), max_length=200, required=False)
    replace = forms.BooleanField(
        label=_("Replace instruments this file changes"),
        required=False,
        help_text=_(
            "Without this, a changed instrument is listed field by field and nothing is "
            "imported. Once an instrument has responses, only new fields or choices are accepted."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class QueryActionForm(BootstrapMixin, forms.Form):
    action = forms.ChoiceField(
        choices=[(a, name) for a, name in c.QueryAction.choices if a != c.QueryAction.OPENED],
        label=_("Action"),
    )
    text = forms.CharField(label=_("Answer or comment"), widget=forms.Textarea(attrs={"rows": 3}))
    row_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()
