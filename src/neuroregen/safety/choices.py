"""Controlled vocabularies of the safety app. Stored codes never change."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Grade(models.IntegerChoices):
    """CTCAE v5 severity grade. Independent of seriousness."""

    MILD = 1, _("Grade 1 — mild")
    MODERATE = 2, _("Grade 2 — moderate")
    SEVERE = 3, _("Grade 3 — severe or medically significant")
    LIFE_THREATENING = 4, _("Grade 4 — life-threatening")
    DEATH = 5, _("Grade 5 — death")


class SeriousnessCriterion(models.TextChoices):
    """ICH E2A / 21 CFR 312.32 seriousness criteria; an event is serious if any applies."""

    DEATH = "death", _("Results in death")
    LIFE_THREATENING = "life_threatening", _("Life-threatening")
    HOSPITALISATION = "hospitalisation", _("Inpatient hospitalisation or prolongation")
    DISABILITY = "disability", _("Persistent or significant disability/incapacity")
    CONGENITAL_ANOMALY = "congenital_anomaly", _("Congenital anomaly/birth defect")
    IMPORTANT_MEDICAL_EVENT = "important_medical_event", _("Other important medical event")


# Model field names of the criteria, in the order above.
CRITERION_FIELDS: dict[str, str] = {
    SeriousnessCriterion.DEATH: "serious_death",
    SeriousnessCriterion.LIFE_THREATENING: "serious_life_threatening",
    SeriousnessCriterion.HOSPITALISATION: "serious_hospitalisation",
    SeriousnessCriterion.DISABILITY: "serious_disability",
    SeriousnessCriterion.CONGENITAL_ANOMALY: "serious_congenital_anomaly",
    SeriousnessCriterion.IMPORTANT_MEDICAL_EVENT: "serious_important_medical_event",
}


class Relatedness(models.TextChoices):
    NOT_RELATED = "not_related", _("Not related")
    UNLIKELY = "unlikely", _("Unlikely related")
    POSSIBLE = "possible", _("Possibly related")
    PROBABLE = "probable", _("Probably related")
    DEFINITE = "definite", _("Definitely related")

    @classmethod
    def suspected(cls) -> frozenset[str]:
        """A reasonable possibility of a causal relationship (21 CFR 312.32(a))."""
        return frozenset({cls.POSSIBLE, cls.PROBABLE, cls.DEFINITE})


class Expectedness(models.TextChoices):
    EXPECTED = "expected", _("Expected (listed in the investigator's brochure)")
    UNEXPECTED = "unexpected", _("Unexpected")


class ActionTaken(models.TextChoices):
    NONE = "none", _("None")
    DOSE_NOT_CHANGED = "dose_not_changed", _("Dose not changed")
    INFUSION_INTERRUPTED = "interrupted", _("Administration interrupted")
    INFUSION_STOPPED = "stopped", _("Administration stopped")
    FURTHER_DOSING_WITHHELD = "withheld", _("Further dosing withheld")
    WITHDRAWN = "withdrawn", _("Withdrawn from treatment")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


class Outcome(models.TextChoices):
    RECOVERED = "recovered", _("Recovered/resolved")
    RECOVERED_WITH_SEQUELAE = "sequelae", _("Recovered/resolved with sequelae")
    RECOVERING = "recovering", _("Recovering/resolving")
    NOT_RECOVERED = "not_recovered", _("Not recovered/not resolved")
    FATAL = "fatal", _("Fatal")
    UNKNOWN = "unknown", _("Unknown")

    @classmethod
    def resolved(cls) -> frozenset[str]:
        return frozenset({cls.RECOVERED, cls.RECOVERED_WITH_SEQUELAE, cls.FATAL})


class SystemOrganClass(models.TextChoices):
    """MedDRA system organ classes (names only; codes need a MedDRA licence)."""

    BLOOD = "blood", _("Blood and lymphatic system disorders")
    CARDIAC = "cardiac", _("Cardiac disorders")
    CONGENITAL = "congenital", _("Congenital, familial and genetic disorders")
    EAR = "ear", _("Ear and labyrinth disorders")
    ENDOCRINE = "endocrine", _("Endocrine disorders")
    EYE = "eye", _("Eye disorders")
    GASTROINTESTINAL = "gastro", _("Gastrointestinal disorders")
    GENERAL = "general", _("General disorders and administration site conditions")
    HEPATOBILIARY = "hepato", _("Hepatobiliary disorders")
    IMMUNE = "immune", _("Immune system disorders")
    INFECTIONS = "infections", _("Infections and infestations")
    INJURY = "injury", _("Injury, poisoning and procedural complications")
    INVESTIGATIONS = "investigations", _("Investigations")
    METABOLISM = "metabolism", _("Metabolism and nutrition disorders")
    MUSCULOSKELETAL = "musculo", _("Musculoskeletal and connective tissue disorders")
    NEOPLASMS = "neoplasms", _("Neoplasms benign, malignant and unspecified")
    NERVOUS = "nervous", _("Nervous system disorders")
    PSYCHIATRIC = "psychiatric", _("Psychiatric disorders")
    RENAL = "renal", _("Renal and urinary disorders")
    RESPIRATORY = "respiratory", _("Respiratory, thoracic and mediastinal disorders")
    SKIN = "skin", _("Skin and subcutaneous tissue disorders")
    SURGICAL = "surgical", _("Surgical and medical procedures")
    VASCULAR = "vascular", _("Vascular disorders")
    OTHER = "other", _("Other")


class AesiCategory(models.TextChoices):
    """Adverse events of special interest for cell products (DOMAIN.md §5)."""

    INFUSION_REACTION = "infusion_reaction", _("Infusion reaction")
    FEVER = "fever", _("Fever")
    SEIZURE = "seizure", _("Seizure")
    ANTI_HLA = "anti_hla", _("New anti-HLA antibodies")
    PRODUCT_INFECTION = "product_infection", _("Infection transmitted by the product")
    ECTOPIC_TISSUE = "ectopic_tissue", _("Ectopic tissue or tumour")
    BEHAVIOURAL_REGRESSION = "behavioural_regression", _("Behavioural regression")
    POST_INTRATHECAL = "post_intrathecal", _("Headache/vomiting after intrathecal administration")


class AesiSource(models.TextChoices):
    NONE = "", _("Not an event of special interest")
    CATALOGUE = "catalogue", _("Matched by the catalogue")
    INVESTIGATOR = "investigator", _("Set by the investigator")


class FollowUpKind(models.TextChoices):
    INITIAL = "initial", _("Initial report")
    UPDATE = "update", _("Update of recorded data")
    NOTE = "note", _("Follow-up note")
    SIGN_OFF = "sign_off", _("Investigator sign-off")
    CLOCK = "clock", _("Reporting clock")


class ClockKind(models.TextChoices):
    INVESTIGATOR_TO_SPONSOR = "sponsor_24h", _("Investigator → sponsor (24 hours)")
    IND_7_DAY = "ind_7d", _("IND safety report (7 calendar days)")
    IND_15_DAY = "ind_15d", _("IND safety report (15 calendar days)")


class ClockState(models.TextChoices):
    DUE = "due", _("Due")
    OVERDUE = "overdue", _("Overdue")
    SUBMITTED = "submitted", _("Submitted on time")
    SUBMITTED_LATE = "submitted_late", _("Submitted late")
    NOT_REQUIRED = "not_required", _("No longer required")


class Comparison(models.TextChoices):
    GT = "gt", ">"
    GE = "ge", "≥"
    LT = "lt", "<"
    LE = "le", "≤"


class ReviewStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class ReviewOutcome(models.TextChoices):
    NO_ACTION = "no_action", _("Reviewed: no action")
    AE_RECORDED = "ae_recorded", _("Reviewed: adverse event recorded")
    REPEAT_TEST = "repeat_test", _("Reviewed: repeat test ordered")


class StoppingRuleKind(models.TextChoices):
    BETA_BINOMIAL = "beta_binomial", _("Bayesian beta-binomial")
    FIXED_COUNT = "fixed_count", _("Fixed count")


class QualifyingEvent(models.TextChoices):
    """Which events a stopping rule counts."""

    RELATED_GRADE_3_PLUS = "related_g3", _("Related (possible or stronger) grade ≥ 3 event")
    GRADE_3_PLUS = "g3", _("Any grade ≥ 3 event")
    SERIOUS = "serious", _("Any serious adverse event")
    RELATED_SERIOUS = "related_serious", _("Related serious adverse event")
    DEATH = "death", _("Death")
    AESI = "aesi", _("Any adverse event of special interest")


class DsmbGrouping(models.TextChoices):
    OVERALL = "overall", _("All participants")
    PROTOCOL = "protocol", _("Protocol")
    ARM = "arm", _("Arm")
    PRODUCT = "product", _("Product")
    LOT = "lot", _("Lot")
    DOSE_BAND = "dose_band", _("Dose band")
    ROUTE = "route", _("Route")
