"""Adverse events, their follow-up timeline and sign-off, reporting clocks, signal rules, stopping
rules.

An adverse event belongs to a participant (and through the participant to a site). Its grade
(CTCAE v5 severity) and its seriousness (ICH E2A criteria) are recorded independently; the
event is serious exactly when a criterion is ticked, which the database also enforces.

With each event the context at onset is computed and stored (``safety.services``): the most
recent administration before onset, its lot, product, route and dose, days since it, the study
day and the phase. The snapshot keeps what was known when the event was recorded even if a
lot is later relabelled; it is recomputed only by an audited edit.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from neuroregen.core.audit import AppendOnlyModel, AuditedModel
from neuroregen.core.models import ElectronicSignature
from neuroregen.core.scoping import scoped_manager
from neuroregen.participants.models import Participant
from neuroregen.safety import choices as c
from neuroregen.safety.clocks import clock_state
from neuroregen.safety.validators import NARRATIVE_MAX_LENGTH

SERIOUS_ANY = (
    models.Q(serious_death=True)
    | models.Q(serious_life_threatening=True)
    | models.Q(serious_hospitalisation=True)
    | models.Q(serious_disability=True)
    | models.Q(serious_congenital_anomaly=True)
    | models.Q(serious_important_medical_event=True)
)


class AdverseEvent(AuditedModel):
    """An adverse event of a participant, graded and assessed, with its context at onset."""

    code = models.CharField(_("event code"), max_length=20, unique=True, editable=False)
    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="adverse_events"
    )
    term = models.CharField(_("reported term"), max_length=200)
    coded_term = models.CharField(
        _("coded term"),
        max_length=200,
        blank=True,
        help_text=_("e.g. a MedDRA lowest-level term, where the site holds a licence."),
    )
    coded_term_code = models.CharField(_("code of the coded term"), max_length=20, blank=True)
    coding_dictionary = models.CharField(
        _("dictionary and version"), max_length=40, blank=True, help_text=_("e.g. MedDRA 27.1")
    )
    soc = models.CharField(
        _("system organ class"),
        max_length=16,
        choices=c.SystemOrganClass.choices,
        default=c.SystemOrganClass.OTHER,
    )
    description = models.TextField(
        _("description"),
        blank=True,
        max_length=NARRATIVE_MAX_LENGTH,
        validators=[MaxLengthValidator(NARRATIVE_MAX_LENGTH)],
    )
    onset_date = models.DateField(_("onset date"))
    resolution_date = models.DateField(_("resolution date"), null=True, blank=True)
    grade = models.PositiveSmallIntegerField(
        _("CTCAE grade"),
        choices=c.Grade.choices,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    serious_death = models.BooleanField(_("results in death"), default=False)
    serious_life_threatening = models.BooleanField(_("life-threatening"), default=False)
    serious_hospitalisation = models.BooleanField(
        _("inpatient hospitalisation or prolongation"), default=False
    )
    serious_disability = models.BooleanField(
        _("persistent or significant disability/incapacity"), default=False
    )
    serious_congenital_anomaly = models.BooleanField(
        _("congenital anomaly/birth defect"), default=False
    )
    serious_important_medical_event = models.BooleanField(
        _("other important medical event"), default=False
    )
    is_serious = models.BooleanField(
        _("serious"),
        default=False,
        editable=False,
        help_text=_("True exactly when a seriousness criterion is ticked."),
    )
    relatedness_product = models.CharField(
        _("relatedness to the product"), max_length=12, choices=c.Relatedness.choices
    )
    relatedness_procedure = models.CharField(
        _("relatedness to the procedure"), max_length=12, choices=c.Relatedness.choices
    )
    expectedness = models.CharField(
        _("expectedness"), max_length=12, choices=c.Expectedness.choices
    )
    action_taken = models.CharField(
        _("action taken"),
        max_length=16,
        choices=c.ActionTaken.choices,
        default=c.ActionTaken.NONE,
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=c.Outcome.choices)
    aware_at = models.DateTimeField(
        _("site aware at"),
        help_text=_("When the site first learnt of the event; starts the clocks."),
    )
    aesi_category = models.CharField(
        _("event of special interest"), max_length=24, choices=c.AesiCategory.choices, blank=True
    )
    aesi_source = models.CharField(
        _("special-interest flag set by"),
        max_length=12,
        choices=c.AesiSource.choices,
        blank=True,
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # Context at onset, computed by the services (see module docstring).
    administration_code = models.CharField(
        _("most recent administration"), max_length=20, blank=True
    )
    administered_at = models.DateTimeField(_("administered at"), null=True, blank=True)
    lot_code = models.CharField(_("lot"), max_length=20, blank=True)
    product_type = models.CharField(_("product"), max_length=20, blank=True)
    route = models.CharField(_("route"), max_length=4, blank=True)
    dose_per_kg = models.DecimalField(
        _("dose per kg"), max_digits=30, decimal_places=4, null=True, blank=True
    )
    dose_unit = models.CharField(_("dose unit"), max_length=20, blank=True)
    days_since_administration = models.IntegerField(
        _("days since most recent administration"), null=True, blank=True
    )
    study_day = models.IntegerField(_("study day of onset"), null=True, blank=True)
    phase = models.CharField(_("phase at onset"), max_length=16, blank=True)
    protocol_label = models.CharField(_("protocol"), max_length=80, blank=True)
    arm_code = models.CharField(_("arm"), max_length=40, blank=True)

    objects = scoped_manager(site_path="participant__site", participant_path="participant")

    class Meta:
        ordering = ["-onset_date", "-pk"]
        verbose_name = _("adverse event")
        verbose_name_plural = _("adverse events")
        indexes = [models.Index(fields=["is_serious", "grade"])]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(is_serious=True) & SERIOUS_ANY)
                | (models.Q(is_serious=False) & ~SERIOUS_ANY),
                name="ae_serious_iff_criterion",
                violation_error_message=_(
                    "An event is serious exactly when a criterion is ticked."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(resolution_date__isnull=True)
                | models.Q(resolution_date__gte=models.F("onset_date")),
                name="ae_resolution_not_before_onset",
                violation_error_message=_("The resolution date is before the onset date."),
            ),
            models.CheckConstraint(
                condition=~models.Q(grade=5) | models.Q(outcome=c.Outcome.FATAL),
                name="ae_grade5_is_fatal",
                violation_error_message=_("Grade 5 means death: the outcome must be fatal."),
            ),
            models.CheckConstraint(
                condition=models.Q(grade__gte=1) & models.Q(grade__lte=5),
                name="ae_grade_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.term}"

    @property
    def criteria(self) -> list[str]:
        return [code for code, name in c.CRITERION_FIELDS.items() if getattr(self, name)]

    def criteria_labels(self) -> list[str]:
        return [str(c.SeriousnessCriterion(code).label) for code in self.criteria]

    @property
    def fatal_or_life_threatening(self) -> bool:
        return self.serious_death or self.serious_life_threatening

    @property
    def is_suspected(self) -> bool:
        return self.relatedness_product in c.Relatedness.suspected()

    @property
    def is_related(self) -> bool:
        """Possibly or more strongly related to the product or the procedure."""
        suspected = c.Relatedness.suspected()
        return self.relatedness_product in suspected or self.relatedness_procedure in suspected

    def assessment(self) -> dict[str, Any]:
        """What the investigator signs off: seriousness, grade and relatedness."""
        return {
            "grade": self.grade,
            "criteria": sorted(self.criteria),
            "relatedness_product": self.relatedness_product,
            "relatedness_procedure": self.relatedness_procedure,
        }


class AdverseEventFollowUp(AppendOnlyModel):
    """One entry of an event's follow-up timeline (initial report, updates, notes, sign-offs)."""

    event = models.ForeignKey(AdverseEvent, on_delete=models.PROTECT, related_name="follow_ups")
    kind = models.CharField(_("kind"), max_length=12, choices=c.FollowUpKind.choices)
    note = models.TextField(
        _("note"),
        blank=True,
        max_length=NARRATIVE_MAX_LENGTH,
        validators=[MaxLengthValidator(NARRATIVE_MAX_LENGTH)],
    )
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    objects = scoped_manager(
        site_path="event__participant__site", participant_path="event__participant"
    )

    class Meta:
        ordering = ["recorded_at", "pk"]

    def __str__(self) -> str:
        return f"{self.event.code} · {self.get_kind_display()} · {self.recorded_at:%Y-%m-%d}"


class InvestigatorSignOff(AppendOnlyModel):
    """The investigator's signed assessment of seriousness, grade and relatedness.

    A snapshot: the sign-off stands while the event still carries these values; any change to
    them makes the event "awaiting sign-off" again. The electronic signature points at this
    row (``core.services.signature_create``).
    """

    event = models.ForeignKey(AdverseEvent, on_delete=models.PROTECT, related_name="sign_offs")
    grade = models.PositiveSmallIntegerField(_("grade"), choices=c.Grade.choices)
    criteria = models.JSONField(_("seriousness criteria"), default=list)
    relatedness_product = models.CharField(max_length=12, choices=c.Relatedness.choices)
    relatedness_procedure = models.CharField(max_length=12, choices=c.Relatedness.choices)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(_("signed at"), default=timezone.now)

    objects = scoped_manager(
        site_path="event__participant__site", participant_path="event__participant"
    )

    class Meta:
        ordering = ["-signed_at", "-pk"]

    def assessment(self) -> dict[str, Any]:
        return {
            "grade": self.grade,
            "criteria": sorted(self.criteria),
            "relatedness_product": self.relatedness_product,
            "relatedness_procedure": self.relatedness_procedure,
        }

    def signature(self) -> ElectronicSignature | None:
        from neuroregen.core.services import signatures_for

        return signatures_for(self).first()


class ReportingClock(AuditedModel):
    """A reporting deadline started by a serious adverse event."""

    event = models.ForeignKey(AdverseEvent, on_delete=models.PROTECT, related_name="clocks")
    kind = models.CharField(_("report"), max_length=12, choices=c.ClockKind.choices)
    started_at = models.DateTimeField(_("started at (site aware)"))
    due_at = models.DateTimeField(_("due at"))
    required = models.BooleanField(
        _("required"),
        default=True,
        help_text=_("False when a later assessment means this report is no longer required."),
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reference = models.CharField(_("submission reference"), max_length=100, blank=True)

    objects = scoped_manager(
        site_path="event__participant__site", participant_path="event__participant"
    )

    class Meta:
        ordering = ["due_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["event", "kind"], name="clock_one_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.event.code} · {self.get_kind_display()}"

    def state(self, now: Any = None) -> c.ClockState:
        return clock_state(
            due=self.due_at,
            submitted_at=self.submitted_at,
            required=self.required,
            now=now or timezone.now(),
        )

    @property
    def state_label(self) -> str:
        return str(self.state().label)


class BiomarkerSignalRule(AuditedModel):
    """A study-defined biomarker threshold that opens an investigator review when crossed.

    Example: IL-6 > 7 pg/mL within 14 days of an administration. Rules are programme-wide
    configuration (not site data); a rule may be limited to one protocol.
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    protocol = models.ForeignKey(
        "protocols.Protocol", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    analyte = models.CharField(_("analyte"), max_length=40, help_text=_("e.g. IL-6"))
    comparison = models.CharField(_("comparison"), max_length=2, choices=c.Comparison.choices)
    threshold = models.DecimalField(_("threshold"), max_digits=14, decimal_places=4)
    unit = models.CharField(_("unit"), max_length=20)
    within_days = models.PositiveSmallIntegerField(
        _("within days of an administration"),
        null=True,
        blank=True,
        help_text=_("Empty: at any time."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["analyte", "code"]

    def __str__(self) -> str:
        rule = f"{self.analyte} {self.get_comparison_display()} {self.threshold} {self.unit}"
        if self.within_days is None:
            return rule
        # worded when shown (a review list names the rule in the reader's language)
        return gettext("%(rule)s within %(days)s d") % {"rule": rule, "days": self.within_days}


class SafetyReviewTask(AuditedModel):
    """An investigator's review opened by a biomarker signal; closed with an outcome."""

    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="safety_reviews"
    )
    rule = models.ForeignKey(BiomarkerSignalRule, on_delete=models.PROTECT, related_name="tasks")
    analyte = models.CharField(_("analyte"), max_length=40)
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=4)
    unit = models.CharField(_("unit"), max_length=20)
    observed_at = models.DateTimeField(_("sample taken at"))
    days_since_administration = models.IntegerField(null=True, blank=True)
    source_reference = models.CharField(_("result reference"), max_length=64, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=c.ReviewStatus.choices, default=c.ReviewStatus.OPEN
    )
    outcome = models.CharField(
        _("outcome"), max_length=12, choices=c.ReviewOutcome.choices, blank=True
    )
    note = models.CharField(_("review note"), max_length=500, blank=True)
    adverse_event = models.ForeignKey(
        AdverseEvent, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    objects = scoped_manager(site_path="participant__site", participant_path="participant")

    class Meta:
        ordering = ["status", "-observed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "participant", "source_reference"],
                condition=~models.Q(source_reference=""),
                name="review_once_per_result",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant} · {self.analyte} {self.value} {self.unit}"


class StoppingRule(AuditedModel):
    """A safety stopping rule a protocol declares, as data (evaluated by ``neuroregen.stats``).

    Beta-binomial: stop when P(rate of participants with a qualifying event > ``threshold_rate``)
    exceeds ``posterior_cutoff`` under a Beta(``prior_a``, ``prior_b``) prior. Fixed count: stop
    when ``max_events`` participants have a qualifying event.
    """

    protocol = models.ForeignKey(
        "protocols.Protocol", on_delete=models.PROTECT, related_name="stopping_rules"
    )
    arm_code = models.SlugField(
        _("arm"), max_length=40, blank=True, help_text=_("Empty: all arms of the protocol.")
    )
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=c.StoppingRuleKind.choices)
    qualifying_event = models.CharField(
        _("counts"), max_length=16, choices=c.QualifyingEvent.choices
    )
    threshold_rate = models.DecimalField(
        _("unacceptable rate"), max_digits=5, decimal_places=4, null=True, blank=True
    )
    posterior_cutoff = models.DecimalField(
        _("posterior probability cut-off"), max_digits=5, decimal_places=4, null=True, blank=True
    )
    prior_a = models.DecimalField(_("prior a"), max_digits=8, decimal_places=4, default=1)
    prior_b = models.DecimalField(_("prior b"), max_digits=8, decimal_places=4, default=1)
    max_events = models.PositiveSmallIntegerField(_("events that stop"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["protocol", "code"]
        constraints = [
            models.UniqueConstraint(fields=["protocol", "code"], name="stopping_rule_unique_code"),
            models.CheckConstraint(
                condition=(
                    models.Q(kind=c.StoppingRuleKind.BETA_BINOMIAL)
                    & models.Q(threshold_rate__isnull=False, posterior_cutoff__isnull=False)
                )
                | (models.Q(kind=c.StoppingRuleKind.FIXED_COUNT) & models.Q(max_events__gte=1)),
                name="stopping_rule_parameters_for_kind",
                violation_error_message=_("The rule's parameters do not fit its kind."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.protocol} · {self.name}"
