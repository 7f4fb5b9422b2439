"""The words of a protocol's visit schedule: phases of follow-up, visit statuses, safety checks.

Day 0 is the first administration (DOMAIN.md §1). They live with the protocol, below the visits
app, because a protocol's schedule and its study timeline speak them before any visit exists.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Phase(models.TextChoices):
    SCREENING = "screening", _("Screening")
    BASELINE = "baseline", _("Baseline")
    ADMINISTRATION = "administration", _("Administration")
    EARLY = "early", _("Early (first weeks)")
    MID = "mid", _("Mid (2–4 months)")
    LATE = "late", _("Late (6–12 months)")
    LONG_TERM = "long_term", _("Long-term")


# Follow-up order; administration visits may fall inside the early phase (repeat doses).
PHASE_ORDER: tuple[str, ...] = (
    Phase.SCREENING,
    Phase.BASELINE,
    Phase.ADMINISTRATION,
    Phase.EARLY,
    Phase.MID,
    Phase.LATE,
    Phase.LONG_TERM,
)
# The three phases after therapy shown on the participant timeline (DOMAIN.md §1).
FOLLOW_UP_PHASES: tuple[str, ...] = (Phase.EARLY, Phase.MID, Phase.LATE)


class VisitStatus(models.TextChoices):
    UPCOMING = "upcoming", _("Upcoming")
    DUE = "due", _("Due (window open)")
    OVERDUE = "overdue", _("Overdue (window closed)")
    DONE_IN_WINDOW = "done_in_window", _("Done in window")
    DONE_OUT_OF_WINDOW = "done_out_of_window", _("Done out of window")
    MISSED = "missed", _("Missed")
    CANCELLED = "cancelled", _("Cancelled")


class SafetyCheck(models.TextChoices):
    VITAL_SIGNS = "vital_signs", _("Vital signs")
    PHYSICAL_EXAM = "physical_exam", _("Physical examination")
    NEURO_EXAM = "neuro_exam", _("Neurological examination")
    AE_REVIEW = "ae_review", _("Adverse event review")
    CONMEDS = "conmeds", _("Concomitant medications")
    BLOOD_COUNT = "cbc", _("Full blood count")
    CHEMISTRY = "chemistry", _("Blood chemistry")
    COAGULATION = "coagulation", _("Coagulation")
    EEG = "eeg", _("EEG")
    MRI = "mri", _("Brain MRI")
    INFUSION_MONITORING = "infusion_monitoring", _("Infusion monitoring")
    HLA_ANTIBODIES = "hla_antibodies", _("Anti-HLA antibodies")
