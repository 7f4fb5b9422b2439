"""Instrument definitions (data, REDCap-dictionary compatible), responses, parent links, queries.

An ``Instrument`` and its ``Field`` rows are a REDCap data dictionary held in the database: each
field keeps the 18 REDCap cells exactly, so export reproduces what was imported. ``Score`` rows
say how an instrument is scored and carry range, direction and reliability. A ``Response`` is one
completion of one instrument at one visit; a ``SurveyLink`` lets a family complete it without an
account; a ``Query`` is a data-quality question about a value, worked open → answered → closed.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from neuroregen.core.audit import AuditedModel
from neuroregen.core.errors import ValidationFailed
from neuroregen.core.scoping import scoped_manager
from neuroregen.instruments import choices as c
from neuroregen.instruments.redcap import DictionaryRow, parse_choices


class Instrument(models.Model):
    """An instrument (one REDCap form). Definitions are shared by every site and programme."""

    code = models.SlugField(
        _("code"), max_length=60, unique=True, help_text=_("The REDCap form name, e.g. atec.")
    )
    title = models.CharField(_("title"), max_length=200)
    version = models.CharField(_("version"), max_length=40, blank=True)
    licence = models.CharField(
        _("licence"), max_length=16, choices=c.Licence.choices, default=c.Licence.LOCAL
    )
    source = models.TextField(_("source and citation"), blank=True)
    description = models.TextField(_("description"), blank=True)
    languages = models.JSONField(
        _("languages with verified wording"),
        default=list,
        help_text=_("Language codes whose item wording is the published wording."),
    )
    languages_missing = models.JSONField(
        _("languages not yet available"),
        default=dict,
        blank=True,
        help_text=_("Language code → why it is missing. Never filled by invented translations."),
    )
    respondents = models.JSONField(_("who may answer"), default=list, blank=True)
    parent_completable = models.BooleanField(_("families may complete it by link"), default=False)
    missing_rule = models.TextField(_("missing-item rule"), blank=True)
    builtin = models.BooleanField(_("shipped with NeuroRegen"), default=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name = _("instrument")

    def __str__(self) -> str:
        return self.title

    @property
    def items_shipped(self) -> bool:
        return self.licence in (c.Licence.FREE, c.Licence.PUBLIC_DOMAIN, c.Licence.LOCAL)

    @property
    def offered_to_families(self) -> bool:
        """Families answer items, never totals: a form whose licence withholds the item text
        is staff-only, whatever ``parent_completable`` says."""
        return self.parent_completable and self.items_shipped


class Field(models.Model):
    """One field of an instrument: a REDCap data-dictionary row, every cell kept as text."""

    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="fields")
    order = models.PositiveIntegerField()
    field_name = models.CharField(max_length=100)
    form_name = models.CharField(max_length=100)
    section_header = models.TextField(blank=True)
    field_type = models.CharField(max_length=16)
    field_label = models.TextField(blank=True)
    choices = models.TextField(blank=True)
    field_note = models.TextField(blank=True)
    validation = models.CharField(max_length=40, blank=True)
    validation_min = models.CharField(max_length=40, blank=True)
    validation_max = models.CharField(max_length=40, blank=True)
    identifier = models.CharField(max_length=1, blank=True)
    branching_logic = models.TextField(blank=True)
    required = models.CharField(max_length=1, blank=True)
    custom_alignment = models.CharField(max_length=2, blank=True)
    question_number = models.CharField(max_length=20, blank=True)
    matrix_group = models.CharField(max_length=100, blank=True)
    matrix_ranking = models.CharField(max_length=1, blank=True)
    field_annotation = models.TextField(blank=True)
    translations = models.JSONField(
        default=dict,
        blank=True,
        help_text=_(
            "Language → {label, choices, section_header, field_note}: published wording only."
        ),
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["instrument", "order"]
        constraints = [
            models.UniqueConstraint(fields=["instrument", "field_name"], name="field_unique_name"),
        ]

    def __str__(self) -> str:
        return self.field_name

    def as_row(self) -> DictionaryRow:
        return DictionaryRow(
            **{name: getattr(self, name) for name in DictionaryRow.__dataclass_fields__}
        )

    @property
    def is_required(self) -> bool:
        return self.required == "y"

    def choice_pairs(self, language: str = "en") -> list[tuple[str, str]]:
        if self.field_type == "yesno":
            return [("1", str(_("Yes"))), ("0", str(_("No")))]
        if self.field_type == "truefalse":
            return [("1", str(_("True"))), ("0", str(_("False")))]
        text = (self.translations.get(language) or {}).get("choices") or self.choices
        return parse_choices(text)

    def label_in(self, language: str) -> str:
        return (self.translations.get(language) or {}).get("label") or self.field_label

    def section_in(self, language: str) -> str:
        return (self.translations.get(language) or {}).get("section_header") or self.section_header


class Score(models.Model):
    """How a score of an instrument is obtained and read: range, direction, reliability."""

    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="scores")
    code = models.SlugField(_("code"), max_length=60)
    label = models.CharField(_("label"), max_length=200)
    method = models.CharField(_("method"), max_length=16, choices=c.ScoreMethod.choices)
    items = models.JSONField(_("items or component scores"), default=list)
    minimum = models.DecimalField(_("minimum"), max_digits=8, decimal_places=2)
    maximum = models.DecimalField(_("maximum"), max_digits=8, decimal_places=2)
    direction = models.CharField(_("direction"), max_length=16, choices=c.Direction.choices)
    max_missing_items = models.PositiveSmallIntegerField(
        _("items that may be missing"),
        default=0,
        help_text=_("Up to this many missing items, the score is prorated; beyond, not scored."),
    )
    reliability = models.DecimalField(
        _("reliability"), max_digits=4, decimal_places=3, null=True, blank=True
    )
    reliability_kind = models.CharField(
        _("kind of reliability"), max_length=16, choices=c.ReliabilityKind.choices, blank=True
    )
    reliability_provisional = models.BooleanField(
        _("reliability provisional"),
        default=True,
        help_text=_("True unless a published test–retest value applies; results using it say so."),
    )
    reliability_source = models.CharField(_("reliability source"), max_length=300, blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["instrument", "order"]
        constraints = [
            models.UniqueConstraint(fields=["instrument", "code"], name="score_unique_code"),
        ]

    def __str__(self) -> str:
        return f"{self.instrument.code}:{self.code}"


class DomainMapping(models.Model):
    """A programme's choice of which score stands for a claimed functional domain."""

    protocol = models.ForeignKey(
        "protocols.Protocol",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="domain_mappings",
        help_text=_("Empty: the default for every programme."),
    )
    domain = models.CharField(_("domain"), max_length=16, choices=c.FunctionalDomain.choices)
    instrument_code = models.SlugField(_("instrument"), max_length=60)
    score_code = models.SlugField(_("score or item"), max_length=100)
    note = models.CharField(_("note"), max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["domain", "instrument_code", "score_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["protocol", "domain", "instrument_code", "score_code"],
                name="domain_mapping_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.domain} → {self.instrument_code}:{self.score_code}"


class Response(AuditedModel):
    """One completion of one instrument at one visit: answers, missing codes and scores.

    ``answers`` maps field name → text (checkboxes: list of ticked codes); ``missing`` maps field
    name → a :class:`~neuroregen.instruments.choices.MissingCode`, kept apart from blanks.
    ``scores`` is computed by the service on every save and never typed in.
    """

    participant = models.ForeignKey(
        "participants.Participant", on_delete=models.PROTECT, related_name="instrument_responses"
    )
    visit = models.ForeignKey("visits.Visit", on_delete=models.PROTECT, related_name="responses")
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="responses")
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=c.ResponseStatus.choices,
        default=c.ResponseStatus.IN_PROGRESS,
    )
    not_done_reason = models.CharField(_("reason not done"), max_length=300, blank=True)
    respondent = models.CharField(_("answered by"), max_length=12, choices=c.Respondent.choices)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    answered_on = models.DateField(_("answered on"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    source = models.CharField(
        _("source"), max_length=12, choices=c.ResponseSource.choices, default=c.ResponseSource.STAFF
    )
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    missing = models.JSONField(_("missing-data codes"), default=dict, blank=True)
    scores = models.JSONField(_("scores"), default=dict, blank=True, editable=False)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = scoped_manager(site_path="participant__site", participant_path="participant")

    class Meta:
        ordering = ["visit", "instrument"]
        constraints = [
            models.UniqueConstraint(fields=["visit", "instrument"], name="response_once_per_visit"),
            models.CheckConstraint(
                condition=~models.Q(status=c.ResponseStatus.NOT_DONE)
                | ~models.Q(not_done_reason=""),
                name="response_not_done_has_reason",
                violation_error_message=_("Say why the form was not done."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument.code} @ visit {self.visit_id}"

    @property
    def is_locked_for_family(self) -> bool:
        return self.status != c.ResponseStatus.IN_PROGRESS

    @property
    def is_finished(self) -> bool:
        """Complete or verified: every required item answered or coded."""
        return self.status in c.ResponseStatus.finished()


class ResponseFile(AuditedModel):
    """The file answering one REDCap ``file`` field of a response (one per field).

    The bytes live under a random name (see :mod:`neuroregen.instruments.files`); this row keeps
    the checked original name, type, size and SHA-256. Replacing the file is an edit of this
    row, so the history shows who replaced which file with which, when and why.
    """

    response = models.ForeignKey(Response, on_delete=models.PROTECT, related_name="files")
    field_name = models.CharField(_("field"), max_length=100)
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    stored_as = models.CharField(max_length=80, unique=True, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"))

    objects = scoped_manager(
        site_path="response__participant__site", participant_path="response__participant"
    )

    class Meta:
        ordering = ["response", "field_name"]
        verbose_name = _("attached file")
        constraints = [
            models.UniqueConstraint(
                fields=["response", "field_name"], name="response_file_once_per_field"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.field_name})"


class SurveyLink(models.Model):
    """A single-use, expiring link for a family to complete one response without an account.

    Only a hash of the secret is stored; the link itself is shown once when it is made. It works
    until it expires, is revoked, or its form is submitted — then never again.
    """

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="links")
    token_hash = models.CharField(max_length=64, unique=True)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    first_opened_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    objects = scoped_manager(
        site_path="response__participant__site", participant_path="response__participant"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"link for {self.response}"


class Query(AuditedModel):
    """A data-quality question about one value. Never deleted; every step is kept."""

    participant = models.ForeignKey(
        "participants.Participant", on_delete=models.PROTECT, related_name="queries"
    )
    response = models.ForeignKey(
        Response, on_delete=models.PROTECT, null=True, blank=True, related_name="queries"
    )
    measurement = models.ForeignKey(
        "biomarkers.Measurement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="queries",
    )
    field_name = models.CharField(_("field"), max_length=100, blank=True)
    rule = models.CharField(_("rule"), max_length=20, choices=c.QueryRule.choices)
    message = models.CharField(_("message"), max_length=500)
    # A rule's message as msgid and values (core.wording), so each reader gets it in their
    # language; empty for a query a person wrote, whose words are kept as written.
    wording = models.JSONField(_("wording"), default=dict, blank=True, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=c.QueryStatus.choices, default=c.QueryStatus.OPEN
    )
    key = models.CharField(
        max_length=200,
        db_index=True,
        help_text=_("Same finding → same key, so a re-run does not duplicate it."),
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    opened_at = models.DateTimeField(auto_now_add=True)

    objects = scoped_manager(site_path="participant__site", participant_path="participant")

    class Meta:
        ordering = ["-opened_at"]
        verbose_name_plural = _("queries")

    def __str__(self) -> str:
        return f"{self.get_rule_display()}: {self.text}"

    @property
    def text(self) -> str:
        """The message in the reader's language (a rule's), or as a person wrote it."""
        from neuroregen.core.wording import render

        if self.wording.get("msgid"):
            try:
                return render(self.wording)
            except (KeyError, TypeError, ValueError):
                pass  # a catalogue entry that does not fit its values: the stored text
        return self.message

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValidationFailed(_("Queries are never deleted; close them instead."))


class QueryEvent(models.Model):
    """One step in a query's life (opened, answered, closed, re-opened, comment). Append-only."""

    query = models.ForeignKey(Query, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(_("action"), max_length=10, choices=c.QueryAction.choices)
    text = models.TextField(_("comment"), blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    objects = scoped_manager(
        site_path="query__participant__site", participant_path="query__participant"
    )

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.action} {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValidationFailed(_("Query events are never changed; add a new one."))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValidationFailed(_("Query events are never deleted."))
