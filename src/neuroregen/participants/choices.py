"""Controlled vocabularies of the participants app. Stored codes never change."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Sex(models.TextChoices):
    FEMALE = "F", _("Female")
    MALE = "M", _("Male")
    UNKNOWN = "U", _("Unknown / not recorded")


class Language(models.TextChoices):
    EN = "en", _("English")
    RU = "ru", _("Russian")
    UK = "uk", _("Ukrainian")


class ParticipantStatus(models.TextChoices):
    SCREENING = "screening", _("Screening")
    SCREEN_FAILED = "screen_failed", _("Screen failed")
    CONSENTED = "consented", _("Consented")
    ENROLLED = "enrolled", _("Enrolled")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Severity(models.IntegerChoices):
    LEVEL_1 = 1, _("Level 1 — requiring support")
    LEVEL_2 = 2, _("Level 2 — requiring substantial support")
    LEVEL_3 = 3, _("Level 3 — requiring very substantial support")


class DiagnosticInstrument(models.TextChoices):
    ADOS2 = "ados2", _("ADOS-2")
    ADIR = "adir", _("ADI-R")
    CARS2 = "cars2", _("CARS-2")
    DSM5_CLINICAL = "dsm5", _("DSM-5 clinical assessment")
    OTHER = "other", _("Other")


class GeneticFinding(models.TextChoices):
    NONE = "none", _("None found")
    NOT_TESTED = "not_tested", _("Not tested")
    SYNDROMIC = "syndromic", _("Syndromic")
    CNV = "cnv", _("Copy-number variant")


class Syndrome(models.TextChoices):
    FRAGILE_X = "fragile_x", _("Fragile X syndrome")
    RETT = "rett", _("Rett syndrome")
    TSC = "tsc", _("Tuberous sclerosis complex")
    DUP15Q = "dup15q", _("15q duplication syndrome")
    OTHER = "other", _("Other syndrome")


class Comorbidity(models.TextChoices):
    EPILEPSY = "epilepsy", _("Epilepsy")
    ADHD = "adhd", _("ADHD")
    INTELLECTUAL_DISABILITY = "id", _("Intellectual disability")
    SLEEP_DISORDER = "sleep", _("Sleep disorder")
    GASTROINTESTINAL = "gi", _("Gastrointestinal disorder")
    ANXIETY = "anxiety", _("Anxiety disorder")


class SeizureControl(models.TextChoices):
    CONTROLLED = "controlled", _("Controlled (no seizures ≥ 12 months)")
    PARTIAL = "partial", _("Partially controlled")
    UNCONTROLLED = "uncontrolled", _("Uncontrolled")


class ConsentKind(models.TextChoices):
    GUARDIAN_CONSENT = "guardian_consent", _("Guardian consent")
    CHILD_ASSENT = "child_assent", _("Child assent")


class WithdrawalScope(models.TextChoices):
    # Ordered from least to most restrictive; see services.data_entry_allowed.
    NO_FURTHER_CONTACT = (
        "no_further_contact",
        _("No further contact (data from existing records may still be entered)"),
    )
    NO_FURTHER_DATA = "no_further_data", _("No further data collection")
    WITHDRAW_DATA = "withdraw_data", _("Withdraw data (no further data; exclude collected data)")


class DataEntryKind(models.TextChoices):
    CONTACT = "contact", _("Contact with the family (visits, questionnaires, calls)")
    RECORD = "record", _("Data abstracted from existing records")
