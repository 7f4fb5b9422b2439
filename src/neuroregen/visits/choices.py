"""Phases of follow-up. Day 0 is the first administration (DOMAIN.md §1)."""

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
