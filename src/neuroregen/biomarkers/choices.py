"""Controlled vocabularies of the biomarkers app. Stored codes never change."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Matrix(models.TextChoices):
    PLASMA = "plasma", _("Plasma")
    SERUM = "serum", _("Serum")
    CSF = "csf", _("Cerebrospinal fluid")
    NONE = "", _("Not a specimen (EEG / imaging)")


class LimitFlag(models.TextChoices):
    WITHIN = "within", _("Within the quantifiable range")
    BELOW_LLOQ = "below_lloq", _("Below the lower limit of quantification")
    ABOVE_ULOQ = "above_uloq", _("Above the upper limit of quantification")
    NO_LIMITS = "no_limits", _("No limits of quantification given")


class Source(models.TextChoices):
    MANUAL = "manual", _("Entered by hand")
    IMPORT = "import", _("Imported from CSV")
    SYNTHETIC = "synthetic", _("Synthetic (generated)")
