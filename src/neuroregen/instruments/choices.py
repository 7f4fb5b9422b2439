"""Controlled vocabularies of the instruments app. Stored codes never change."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Licence(models.TextChoices):
    FREE = "free", _("Free to use: items shipped")
    PUBLIC_DOMAIN = "public_domain", _("Public domain: items shipped")
    COPYRIGHTED = "copyrighted", _("Copyrighted: scores only, no item text")
    RESEARCH_USE = "research_use", _("Research use: scores only")
    LOCAL = "local", _("Defined by the programme")


class Direction(models.TextChoices):
    HIGHER_WORSE = "higher_worse", _("Higher is worse")
    HIGHER_BETTER = "higher_better", _("Higher is better")


class ScoreMethod(models.TextChoices):
    SUM = "sum", _("Sum of item scores (missing-item rule applies)")
    SUM_OF_SCORES = "sum_of_scores", _("Sum of other scores")
    ENTERED = "entered", _("Entered as scored by the publisher's manual")


class ReliabilityKind(models.TextChoices):
    TEST_RETEST = "test_retest", _("Test–retest")
    SPLIT_HALF = "split_half", _("Split-half")
    INTERNAL = "internal", _("Internal consistency (alpha)")


class MissingCode(models.TextChoices):
    """Why an answer is absent — different from a blank nobody has filled in yet."""

    NOT_ASKED = "NASK", _("Not asked")
    DECLINED = "DECL", _("Declined to answer")
    UNKNOWN = "UNK", _("Unknown")
    NOT_APPLICABLE = "NA", _("Not applicable")


class Respondent(models.TextChoices):
    PARENT = "parent", _("Parent / caregiver")
    CLINICIAN = "clinician", _("Clinician")
    TEACHER = "teacher", _("Teacher")


class ResponseStatus(models.TextChoices):
    """A form's completeness, REDCap's ``[form]_complete`` in our words (stored codes stable):

    ============  =================  =========================================================
    ours          REDCap             meaning
    ============  =================  =========================================================
    in_progress   0 Incomplete       items may be blank
    complete      1 Unverified       every required item answered or missing-data coded
    verified      2 Complete         complete, and checked by an investigator or data manager
    not_done      (no data)          the form was not done; the reason is kept
    ============  =================  =========================================================
    """

    IN_PROGRESS = "in_progress", _("Incomplete")
    COMPLETE = "complete", _("Complete (not yet verified)")
    VERIFIED = "verified", _("Verified")
    NOT_DONE = "not_done", _("Not done")

    @classmethod
    def finished(cls) -> tuple[str, str]:
        """The statuses of a form whose item set is complete (counted in analyses)."""
        return (cls.COMPLETE.value, cls.VERIFIED.value)


class ResponseSource(models.TextChoices):
    STAFF = "staff", _("Entered by site staff")
    PARENT_LINK = "parent_link", _("Completed by the family through a link")
    IMPORT = "import", _("Imported")
    SYNTHETIC = "synthetic", _("Synthetic (generated)")


class FormState(models.TextChoices):
    """A form's state at a visit, for expected-versus-received."""

    ENTERED = "entered", _("Entered")
    VERIFIED = "verified", _("Verified")
    PARTIAL = "partial", _("Partly entered")
    MISSING = "missing", _("Missing")
    NOT_DONE = "not_done", _("Not done")


class FunctionalDomain(models.TextChoices):
    """Domains the programme description claims improve (DOMAIN.md §1)."""

    ATTENTION = "attention", _("Attention / concentration")
    SPEECH = "speech", _("Speech comprehension and use")
    SOCIAL = "social", _("Social interaction")
    ANXIETY = "anxiety", _("Anxiety")
    STEREOTYPY = "stereotypy", _("Stereotyped behaviour")
    SLEEP = "sleep", _("Sleep")
    LEARNING = "learning", _("Learning ability")
    HYPERACTIVITY = "hyperactivity", _("Hyperactivity")
    SENSORY = "sensory", _("Sensory overload")
    MELTDOWNS = "meltdowns", _("Meltdowns")


class QueryStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")


class QueryRule(models.TextChoices):
    OUT_OF_RANGE = "out_of_range", _("Value out of range")
    REQUIRED_MISSING = "required_missing", _("Required answer missing")
    OUTLIER = "outlier", _("More than 3 SD from the cohort")
    IMPOSSIBLE_DATE = "impossible_date", _("Impossible date")
    BRANCHING = "branching", _("Answer inconsistent with branching")
    BELOW_LLOQ = "below_lloq", _("Below the lower limit of quantification")
    MANUAL = "manual", _("Raised by a person")


class QueryAction(models.TextChoices):
    OPENED = "opened", _("Opened")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")
    REOPENED = "reopened", _("Re-opened")
    COMMENT = "comment", _("Comment")
