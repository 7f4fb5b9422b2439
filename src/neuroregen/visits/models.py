"""Visit schedules (per protocol version) and the visits generated from them for a participant.

A ``VisitDefinition`` is one row of a protocol's schedule: target study day, window, phase, and
what is expected at the visit (instrument, biomarker and safety-check codes — the visit × form
matrix). A ``Visit`` is a participant's instance of it, with calendar dates computed by
``protocols.timeline`` from day 0. Status is never stored: it is computed from the dates.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _

from neuroregen.core.audit import AuditedModel
from neuroregen.core.scoping import scoped_manager
from neuroregen.protocols import timeline
from neuroregen.protocols.visit_choices import Phase, VisitStatus


class VisitDefinition(AuditedModel):
    """One visit of a protocol's schedule. Belongs to one protocol version; never site data."""

    protocol = models.ForeignKey(
        "protocols.Protocol", on_delete=models.CASCADE, related_name="visit_definitions"
    )
    code = models.SlugField(_("code"), max_length=16, help_text=_("e.g. SCR, BL, D0, D7, M3."))
    name = models.CharField(_("name"), max_length=120)
    phase = models.CharField(_("phase"), max_length=16, choices=Phase.choices)
    target_day = models.SmallIntegerField(_("target study day"))
    window_before = models.PositiveSmallIntegerField(_("days allowed early"), default=0)
    window_after = models.PositiveSmallIntegerField(_("days allowed late"), default=0)
    optional = models.BooleanField(_("optional"), default=False)
    arm_codes = models.JSONField(
        _("arms"),
        default=list,
        blank=True,
        help_text=_("Codes of the arms this visit applies to; empty means every arm."),
    )
    instruments = models.JSONField(_("instruments expected"), default=list, blank=True)
    biomarkers = models.JSONField(_("biomarkers expected"), default=list, blank=True)
    safety_checks = models.JSONField(_("safety checks expected"), default=list, blank=True)

    class Meta:
        ordering = ["protocol", "target_day", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["protocol", "code"], name="visit_definition_unique_code"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} (day {self.target_day})"

    def window(self) -> timeline.Window:
        return timeline.Window(self.target_day, self.window_before, self.window_after)

    def applies_to(self, arm_code: str) -> bool:
        return not self.arm_codes or arm_code in self.arm_codes

    def as_spec(self) -> dict:
        return {
            "code": self.code,
            "name": self.name,
            "phase": self.phase,
            "target_day": self.target_day,
            "window_before": self.window_before,
            "window_after": self.window_after,
            "optional": self.optional,
            "arm_codes": list(self.arm_codes),
            "instruments": list(self.instruments),
            "biomarkers": list(self.biomarkers),
            "safety_checks": list(self.safety_checks),
        }


class Visit(AuditedModel):
    """A participant's visit, generated from a schedule definition and anchored on day 0.

    ``target_date`` and the window come from day 0 (planned until the first administration is
    recorded, then actual: ``provisional`` says which). ``scheduled_for`` is the appointment a
    coordinator books and may move; every move is kept in the history with its reason.
    """

    participant = models.ForeignKey(
        "participants.Participant", on_delete=models.PROTECT, related_name="visits"
    )
    assignment = models.ForeignKey(
        "protocols.Assignment", on_delete=models.PROTECT, related_name="visits"
    )
    definition = models.ForeignKey(VisitDefinition, on_delete=models.PROTECT, related_name="visits")
    code = models.SlugField(_("code"), max_length=16)
    phase = models.CharField(_("phase"), max_length=16, choices=Phase.choices)
    target_day = models.SmallIntegerField(_("target study day"))
    target_date = models.DateField(_("target date"))
    window_open = models.DateField(_("window opens"))
    window_close = models.DateField(_("window closes"))
    scheduled_for = models.DateField(_("appointment"), null=True, blank=True)
    provisional = models.BooleanField(
        _("provisional"),
        default=True,
        help_text=_(
            "Dates hang on the planned day 0; fixed when the first administration is recorded."
        ),
    )
    done_on = models.DateField(_("done on"), null=True, blank=True)
    not_done_reason = models.CharField(_("reason not done"), max_length=300, blank=True)
    cancelled_on = models.DateField(_("cancelled on"), null=True, blank=True)
    cancel_reason = models.CharField(_("cancellation reason"), max_length=300, blank=True)

    objects = scoped_manager(site_path="participant__site", participant_path="participant")

    class Meta:
        ordering = ["participant", "target_date", "code"]
        indexes = [models.Index(fields=["window_close", "done_on"])]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "code"],
                condition=models.Q(cancelled_on__isnull=True),
                name="visit_once_per_assignment",
            ),
            models.CheckConstraint(
                condition=models.Q(window_open__lte=models.F("target_date"))
                & models.Q(target_date__lte=models.F("window_close")),
                name="visit_target_within_window",
            ),
            models.CheckConstraint(
                condition=models.Q(done_on__isnull=True) | models.Q(not_done_reason=""),
                name="visit_done_or_not_done",
                violation_error_message=_("A visit is either done or not done, not both."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant_id} {self.code} ({self.target_date})"

    def status_on(self, today: dt.date) -> VisitStatus:
        return timeline.visit_status(
            window_open=self.window_open,
            window_close=self.window_close,
            today=today,
            done_on=self.done_on,
            not_done=bool(self.not_done_reason),
            cancelled=self.cancelled_on is not None,
        )

    @property
    def status(self) -> VisitStatus:
        """Status today at the participant's site."""
        return self.status_on(timeline.today_at(self.participant.site.time_zone))

    @property
    def is_open(self) -> bool:
        """Nothing recorded yet (neither done, not done, nor cancelled)."""
        return self.done_on is None and not self.not_done_reason and self.cancelled_on is None
