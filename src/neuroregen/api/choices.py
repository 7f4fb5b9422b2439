"""Controlled vocabularies of API tokens. Stored codes never change."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TokenAccess(models.TextChoices):
    READ = "read", _("Read only")
    READ_WRITE = "read_write", _("Read and write")


class TokenApp(models.TextChoices):
    """The API routers a token may be limited to (one per app)."""

    PARTICIPANTS = "participants", _("Participants and consent")
    VISITS = "visits", _("Visits")
    INSTRUMENTS = "instruments", _("Instruments and responses")
    BIOMARKERS = "biomarkers", _("Biomarker measurements")
    SAFETY = "safety", _("Safety")
    PRODUCTS = "products", _("Cell products")
    EVIDENCE = "evidence", _("Evidence")


DEFAULT_LIFETIME_DAYS = 90
MAX_LIFETIME_DAYS = 365
