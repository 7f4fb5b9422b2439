"""Protocols, their arms, eligibility/personalisation rules, and participants' assignments.

A protocol version is immutable once active: amendments are new versions, so data collected
under the old one keeps pointing at what was in force. The visit schedule of a protocol lives
in the visits app (``VisitDefinition``).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from neuroregen.core.audit import AuditedModel
from neuroregen.core.scoping import scoped_manager
from neuroregen.protocols import choices as c
from neuroregen.protocols.dose import DoseRule
from neuroregen.protocols.timeline import PhaseBoundaries

#: Phases an analysis plan may name as primary (follow-up phases only).
PRIMARY_PHASES = [
    ("early", _("Early (first weeks)")),
    ("mid", _("Mid (2–4 months)")),
    ("late", _("Late (6–12 months)")),
    ("long_term", _("Long-term")),
]


class Protocol(AuditedModel):
    """One version of a protocol: arms, rules and visit schedule. Edited only while draft."""

    code = models.SlugField(_("code"), max_length=40)
    version = models.CharField(_("version"), max_length=20)
    name = models.CharField(_("name"), max_length=200)
    status = models.CharField(
        _("status"), max_length=8, choices=c.ProtocolStatus.choices, default=c.ProtocolStatus.DRAFT
    )
    regulatory_reference = models.CharField(
        _("regulatory reference"),
        max_length=100,
        blank=True,
        help_text=_("IND number or clinical trial authorisation number."),
    )
    description = models.TextField(_("description"), blank=True)
    supersedes = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="amendments"
    )
    baseline_from_day = models.SmallIntegerField(_("baseline starts on study day"), default=-30)
    early_until_day = models.PositiveSmallIntegerField(
        _("early phase ends on study day"), default=45
    )
    mid_until_day = models.PositiveSmallIntegerField(_("mid phase ends on study day"), default=150)
    late_until_day = models.PositiveSmallIntegerField(
        _("late phase ends on study day"), default=400
    )
    activated_on = models.DateField(_("activated on"), null=True, blank=True)
    # The analysis plan: which outcome and phase the subgroup and lot/dose analyses use, and
    # how one value per child is taken from several visits in a phase.
    primary_measure = models.CharField(
        _("primary outcome measure"),
        max_length=80,
        blank=True,
        help_text=_("Measure code, e.g. atec.atec_total; empty means ATEC total."),
    )
    primary_phase = models.CharField(
        _("primary phase"), max_length=16, choices=PRIMARY_PHASES, default="late"
    )
    phase_summary_rule = models.CharField(
        _("phase summary rule"),
        max_length=16,
        choices=c.PhaseSummaryRule.choices,
        default=c.PhaseSummaryRule.NEAREST_TARGET,
    )
    early_target_day = models.PositiveSmallIntegerField(
        _("early phase target study day"), default=28
    )
    mid_target_day = models.PositiveSmallIntegerField(_("mid phase target study day"), default=90)
    late_target_day = models.PositiveSmallIntegerField(
        _("late phase target study day"), default=270
    )
    long_term_target_day = models.PositiveSmallIntegerField(
        _("long-term phase target study day"), default=730
    )
    # Trial registration: what the SDTM trial summary (TS) and define.xml report. Empty or
    # null means "not stated"; the export then says so (TSVALNF) rather than guessing.
    sponsor = models.CharField(_("sponsor"), max_length=200, blank=True)
    official_title = models.CharField(_("official title"), max_length=200, blank=True)
    trial_phase = models.CharField(
        _("trial phase"), max_length=4, choices=c.TrialPhase.choices, blank=True
    )
    registry_id = models.CharField(
        _("registry identifier"),
        max_length=60,
        blank=True,
        help_text=_("Public registry number, e.g. NCT01234567 or EudraCT 2026-000001-01."),
    )
    planned_subjects = models.PositiveIntegerField(
        _("planned number of participants"), null=True, blank=True
    )
    blinding = models.CharField(_("blinding"), max_length=8, choices=c.Blinding.choices, blank=True)
    control_type = models.CharField(
        _("control type"), max_length=12, choices=c.ControlType.choices, blank=True
    )
    indication = models.CharField(_("indication"), max_length=200, blank=True)
    study_type = models.CharField(
        _("study type"),
        max_length=16,
        choices=c.StudyType.choices,
        default=c.StudyType.INTERVENTIONAL,
    )
    trial_type = models.CharField(
        _("trial type"), max_length=16, choices=c.TrialType.choices, blank=True
    )
    primary_objective = models.CharField(_("primary objective"), max_length=200, blank=True)
    study_start_date = models.DateField(
        _("study start date"),
        null=True,
        blank=True,
        help_text=_("The date the first participant signed consent, as the protocol records it."),
    )
    randomised = models.BooleanField(_("randomised"), default=False)
    add_on = models.BooleanField(
        _("added on to existing treatment"),
        default=False,
        help_text=_("The product is given on top of the child's existing treatment."),
    )

    class Meta:
        ordering = ["code", "version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="protocol_unique_version")
        ]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"

    @property
    def is_editable(self) -> bool:
        return self.status == c.ProtocolStatus.DRAFT

    def phase_targets(self) -> dict[str, int]:
        """Target study day of each follow-up phase (for the "nearest to target" rule)."""
        return {
            "early": self.early_target_day,
            "mid": self.mid_target_day,
            "late": self.late_target_day,
            "long_term": self.long_term_target_day,
        }

    def clean(self) -> None:
        super().clean()
        bounds = {
            "early": (0, self.early_until_day),
            "mid": (self.early_until_day, self.mid_until_day),
            "late": (self.mid_until_day, self.late_until_day),
        }
        errors = {}
        for phase, (low, high) in bounds.items():
            target = self.phase_targets()[phase]
            if target is not None and not low <= target <= high:
                errors[f"{phase}_target_day"] = _(
                    "The target day must lie inside the phase (study days %(low)s to %(high)s)."
                ) % {"low": low, "high": high}
        if self.long_term_target_day is not None and self.long_term_target_day < (
            self.late_until_day or 0
        ):
            errors["long_term_target_day"] = _(
                "The long-term target day must come after the late phase ends (day %(day)s)."
            ) % {"day": self.late_until_day}
        if errors:
            raise ValidationError(errors)

    def boundaries(self) -> PhaseBoundaries:
        return PhaseBoundaries(
            baseline_from=self.baseline_from_day,
            early_until=self.early_until_day,
            mid_until=self.mid_until_day,
            late_until=self.late_until_day,
        )


class Arm(AuditedModel):
    """A treatment arm: product, dose rule, route, number and spacing of administrations."""

    protocol = models.ForeignKey(Protocol, on_delete=models.CASCADE, related_name="arms")
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    product_type = models.CharField(_("product type"), max_length=20, choices=c.ProductType.choices)
    route = models.CharField(_("route"), max_length=4, choices=c.Route.choices)
    dose_unit = models.CharField(_("dose unit"), max_length=20, choices=c.DoseUnit.choices)
    dose_per_kg_min = models.DecimalField(_("minimum dose per kg"), max_digits=20, decimal_places=4)
    dose_per_kg_max = models.DecimalField(_("maximum dose per kg"), max_digits=20, decimal_places=4)
    dose_per_kg_default = models.DecimalField(
        _("planned dose per kg"), max_digits=20, decimal_places=4
    )
    dose_absolute_cap = models.DecimalField(
        _("maximum total dose"), max_digits=24, decimal_places=4, null=True, blank=True
    )
    administrations = models.PositiveSmallIntegerField(
        _("number of administrations"), default=1, validators=[MinValueValidator(1)]
    )
    spacing_days = models.PositiveSmallIntegerField(_("days between administrations"), default=0)
    is_control = models.BooleanField(_("control arm"), default=False)

    class Meta:
        ordering = ["protocol", "code"]
        constraints = [
            models.UniqueConstraint(fields=["protocol", "code"], name="arm_unique_code"),
            models.CheckConstraint(
                condition=models.Q(dose_per_kg_min__lte=models.F("dose_per_kg_default"))
                & models.Q(dose_per_kg_default__lte=models.F("dose_per_kg_max")),
                name="arm_dose_default_within_range",
                violation_error_message=_("The planned dose must lie between minimum and maximum."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.protocol} · {self.name}"

    @property
    def is_autologous(self) -> bool:
        return self.product_type in c.ProductType.autologous()

    def dose_rule(self) -> DoseRule:
        return DoseRule(
            unit=self.dose_unit,
            per_kg_min=self.dose_per_kg_min,
            per_kg_max=self.dose_per_kg_max,
            per_kg_default=self.dose_per_kg_default,
            absolute_cap=self.dose_absolute_cap,
        )


class EligibilityRule(AuditedModel):
    """One eligibility or personalisation rule, as data: ``<field> <operator> <value>``.

    ``field`` names an entry of the participant profile (see ``protocols.profile.FIELDS``); a
    rule naming an unknown field is refused when saved through the services. ``reason`` is the
    sentence shown to the investigator when the rule fires.
    """

    protocol = models.ForeignKey(Protocol, on_delete=models.CASCADE, related_name="rules")
    code = models.SlugField(_("code"), max_length=40)
    kind = models.CharField(_("kind"), max_length=12, choices=c.RuleKind.choices)
    field = models.CharField(_("profile field"), max_length=40)
    operator = models.CharField(_("operator"), max_length=12, choices=c.RuleOperator.choices)
    value = models.JSONField(_("value"))
    arm_code = models.SlugField(
        _("arm"),
        max_length=40,
        blank=True,
        help_text=_("For arm exclusions, arm preferences and doses: the arm's code."),
    )
    dose_per_kg = models.DecimalField(
        _("dose per kg"), max_digits=20, decimal_places=4, null=True, blank=True
    )
    reason = models.CharField(_("reason shown"), max_length=300)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["protocol", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["protocol", "code"], name="rule_unique_code")
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.field} {self.operator} {self.value}"

    def as_spec(self) -> dict:
        return {
            "code": self.code,
            "kind": self.kind,
            "field": self.field,
            "operator": self.operator,
            "value": self.value,
            "arm_code": self.arm_code,
            "dose_per_kg": None if self.dose_per_kg is None else str(self.dose_per_kg),
            "reason": self.reason,
        }


class Assignment(AuditedModel):
    """A participant's assignment to a protocol arm: recommendation, then investigator decision.

    The recommendation (with the profile it was computed from and the reason for every rule
    that fired) is kept as it was; the investigator confirms it or overrides it with a reason,
    and signs the decision (an ``ElectronicSignature`` over the confirmed row).
    Day 0 is the first administration; until it is recorded, visits hang on the planned day 0.
    """

    participant = models.ForeignKey(
        "participants.Participant", on_delete=models.PROTECT, related_name="assignments"
    )
    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="assignments")
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=c.AssignmentStatus.choices,
        default=c.AssignmentStatus.RECOMMENDED,
    )
    evaluated_on = models.DateField(_("evaluated on"))
    profile = models.JSONField(_("profile evaluated"), default=dict)
    evaluation = models.JSONField(_("rule outcomes"), default=dict)
    eligible = models.BooleanField(_("eligible"), default=False)
    recommended_arm = models.ForeignKey(
        Arm, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recommended_dose_per_kg = models.DecimalField(
        _("recommended dose per kg"), max_digits=20, decimal_places=4, null=True, blank=True
    )
    arm = models.ForeignKey(
        Arm, on_delete=models.PROTECT, null=True, blank=True, related_name="assignments"
    )
    dose_per_kg = models.DecimalField(
        _("dose per kg"), max_digits=20, decimal_places=4, null=True, blank=True
    )
    dose_total = models.DecimalField(
        _("total dose"), max_digits=28, decimal_places=4, null=True, blank=True
    )
    dose_unit = models.CharField(_("dose unit"), max_length=20, blank=True)
    dose_capped = models.BooleanField(_("capped at maximum total dose"), default=False)
    dose_explanation = models.CharField(_("dose calculation"), max_length=300, blank=True)
    weight_kg = models.DecimalField(
        _("weight used (kg)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    weight_measured_on = models.DateField(_("weight measured on"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    override_reason = models.CharField(_("override reason"), max_length=500, blank=True)
    planned_day_zero = models.DateField(_("planned day 0"), null=True, blank=True)
    day_zero = models.DateField(
        _("day 0 (first administration)"),
        null=True,
        blank=True,
        help_text=_("Site-local date of the first administration."),
    )
    day_zero_at = models.DateTimeField(_("first administration at"), null=True, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    end_reason = models.CharField(_("end reason"), max_length=300, blank=True)

    objects = scoped_manager(site_path="participant__site", participant_path="participant")

    class Meta:
        ordering = ["participant", "-evaluated_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant"],
                condition=models.Q(status__in=["confirmed", "overridden"]),
                name="assignment_one_in_force_per_participant",
                violation_error_message=_("The participant already has an assignment in force."),
            ),
            models.CheckConstraint(
                condition=~models.Q(status="overridden") | ~models.Q(override_reason=""),
                name="assignment_override_has_reason",
                violation_error_message=_("An override needs a reason."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant} · {self.arm or self.protocol} · {self.get_status_display()}"

    @property
    def in_force(self) -> bool:
        return self.status in c.AssignmentStatus.in_force()

    @property
    def anchor_day_zero(self):
        """The day 0 visits hang on: the recorded one, else the planned one."""
        return self.day_zero or self.planned_day_zero


class ReferenceSd(AuditedModel):
    """The between-person SD reliable change uses for one measure of one protocol.

    One number per protocol and measure, the same for every viewer: a published normative SD
    where one exists, else the programme's baseline SD over all sites, frozen at data lock.
    """

    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="reference_sds")
    measure = models.CharField(_("measure"), max_length=80)
    sd = models.FloatField(_("reference SD"), validators=[MinValueValidator(0.0)])
    n = models.PositiveIntegerField(_("children at baseline"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=20, choices=c.ReferenceSdSource.choices)
    citation = models.CharField(_("citation or note"), max_length=300, blank=True)
    frozen_on = models.DateField(_("frozen on"))
    frozen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["protocol", "measure"]
        constraints = [
            models.UniqueConstraint(
                fields=["protocol", "measure"], name="reference_sd_one_per_measure"
            ),
            models.CheckConstraint(
                condition=models.Q(sd__gt=0),
                name="reference_sd_positive",
                violation_error_message=_("A reference SD must be positive."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.protocol} · {self.measure}: SD {self.sd:g}"
