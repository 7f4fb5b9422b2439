"""Controlled vocabularies of the reports app. Stored codes never change."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    RELEASED = "released", _("Released")
    WITHDRAWN = "withdrawn", _("Discarded draft")


class ReportPhase(models.TextChoices):
    """The follow-up phase a family report covers (data up to the end of that phase)."""

    EARLY = "early", _("Early (first weeks)")
    MID = "mid", _("Mid (2–4 months)")
    LATE = "late", _("Late (6–12 months)")
    LONG_TERM = "long_term", _("Long-term")


class JobKind(models.TextChoices):
    PROGRAM = "program", _("Program report")
    DSMB = "dsmb", _("DSMB report")


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class InvitationKind(models.TextChoices):
    """What a family invitation does when used."""

    # a one-time link by which the guardian sets the password of a new account
    PASSWORD = "password", _("Password-set link for a new account")
    # a request to an existing account, accepted by its holder while signed in
    LINK = "link", _("Request to link an existing account")
