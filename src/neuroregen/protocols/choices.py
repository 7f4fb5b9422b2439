"""Controlled vocabularies for protocols, arms and products. Stored codes never change."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProtocolStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    CLOSED = "closed", _("Closed")


class ProductType(models.TextChoices):
    IPSC_NEURONS = "ipsc_neurons", _("Autologous iPSC-derived neurons")
    IPSC_OLIGODENDROCYTE_PROGENITORS = (
        "ipsc_opc",
        _("Autologous iPSC-derived oligodendrocyte progenitors"),
    )
    IPSC_ASTROCYTES = "ipsc_astrocytes", _("Autologous iPSC-derived astrocytes")
    IPSC_MIX = "ipsc_mix", _("Autologous iPSC-derived neural mix (defined)")
    MSC_ALLOGENEIC = "msc", _("Allogeneic mesenchymal stromal cells")
    MSC_EXOSOMES = "exosomes", _("MSC-derived exosomes")
    CORD_BLOOD_AUTOLOGOUS = "cb_auto", _("Autologous umbilical cord blood")
    CORD_BLOOD_ALLOGENEIC = "cb_allo", _("Allogeneic umbilical cord blood")
    PLACEBO = "placebo", _("Placebo / acellular vehicle")

    @classmethod
    def autologous(cls) -> frozenset[str]:
        return frozenset(
            {
                cls.IPSC_NEURONS,
                cls.IPSC_OLIGODENDROCYTE_PROGENITORS,
                cls.IPSC_ASTROCYTES,
                cls.IPSC_MIX,
                cls.CORD_BLOOD_AUTOLOGOUS,
            }
        )


class DoseUnit(models.TextChoices):
    CELLS_PER_KG = "cells_per_kg", _("cells per kg")
    PARTICLES_PER_KG = "particles_per_kg", _("particles per kg")
    MICROGRAMS_PER_KG = "ug_per_kg", _("µg protein per kg")
    ML_PER_KG = "ml_per_kg", _("mL per kg (vehicle)")


class Route(models.TextChoices):
    INTRAVENOUS = "iv", _("Intravenous")
    INTRATHECAL = "it", _("Intrathecal")
    INTRANASAL = "in", _("Intranasal")


class AssignmentStatus(models.TextChoices):
    # "overridden" is in force like "confirmed": the investigator chose differently from the
    # recommendation and said why.
    RECOMMENDED = "recommended", _("Recommended (awaiting investigator)")
    CONFIRMED = "confirmed", _("Confirmed")
    OVERRIDDEN = "overridden", _("Confirmed with override")
    DECLINED = "declined", _("Not confirmed")
    ENDED = "ended", _("Ended")

    @classmethod
    def in_force(cls) -> frozenset[str]:
        return frozenset({cls.CONFIRMED, cls.OVERRIDDEN})


class RuleKind(models.TextChoices):
    REQUIRE = "require", _("Inclusion: participant must meet this")
    EXCLUDE = "exclude", _("Exclusion: participant is excluded when this holds")
    EXCLUDE_ARM = "exclude_arm", _("Arm exclusion: the arm is not offered when this holds")
    PREFER_ARM = "prefer_arm", _("Personalisation: recommend the arm when this holds")
    DOSE_PER_KG = "dose_per_kg", _("Personalisation: recommend this dose per kg when this holds")


class RuleOperator(models.TextChoices):
    EQ = "eq", "="
    NE = "ne", "≠"
    LT = "lt", "<"
    LE = "le", "≤"
    GT = "gt", ">"
    GE = "ge", "≥"
    IN = "in", _("is one of")
    NOT_IN = "not_in", _("is none of")
    CONTAINS = "contains", _("includes")
    NOT_CONTAINS = "not_contains", _("does not include")


class PhaseSummaryRule(models.TextChoices):
    """How one value per child is taken from the visits a child had in a phase."""

    NEAREST_TARGET = "nearest_target", _("visit nearest to the phase's target day")
    LAST_IN_WINDOW = "last_in_window", _("last visit in the phase")
    MEAN_OF_VISITS = "mean_of_visits", _("mean of the visits in the phase")


class ReferenceSdSource(models.TextChoices):
    """Where the between-person SD used for reliable change comes from."""

    PUBLISHED_NORM = "published_norm", _("published normative SD")
    PROGRAMME_BASELINE = "programme_baseline", _("programme baseline SD, all sites")


# Trial registration (what the SDTM trial summary, TS, reports). Each label is ours; the CDISC
# submission value of each code lives with the SDTM export (interop.sdtm.trial_terms).
class TrialPhase(models.TextChoices):
    PHASE_1 = "1", _("Phase I")
    PHASE_1_2 = "1_2", _("Phase I/II")
    PHASE_2 = "2", _("Phase II")
    PHASE_2_3 = "2_3", _("Phase II/III")
    PHASE_3 = "3", _("Phase III")
    PHASE_4 = "4", _("Phase IV")
    NOT_APPLICABLE = "na", _("Not applicable")


class Blinding(models.TextChoices):
    OPEN_LABEL = "open", _("Open label")
    SINGLE_BLIND = "single", _("Single blind")
    DOUBLE_BLIND = "double", _("Double blind")


class ControlType(models.TextChoices):
    NONE = "none", _("No control")
    PLACEBO = "placebo", _("Placebo")
    ACTIVE = "active", _("Active comparator")
    DOSE_COMPARISON = "dose", _("Dose comparison")
    HISTORICAL = "historical", _("Historical control")


class StudyType(models.TextChoices):
    INTERVENTIONAL = "interventional", _("Interventional")
    OBSERVATIONAL = "observational", _("Observational")
    EXPANDED_ACCESS = "expanded_access", _("Expanded access")


class TrialType(models.TextChoices):
    SAFETY = "safety", _("Safety")
    EFFICACY = "efficacy", _("Efficacy")
    SAFETY_EFFICACY = "safety_efficacy", _("Safety and efficacy")
