"""Controlled vocabularies of the products app. Stored codes never change."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CodePrefix(models.TextChoices):
    """Chain-of-identity code prefixes: the kind of object is readable from its label."""

    DONOR = "DN", _("Donor")
    SOURCE = "SM", _("Source material")
    IPSC_LINE = "IL", _("iPSC line")
    LOT = "LT", _("Product lot")
    CONTAINER = "CT", _("Dose container")
    ADMINISTRATION = "AD", _("Administration")


class DonorEligibility(models.TextChoices):
    PENDING = "pending", _("Pending determination")
    ELIGIBLE = "eligible", _("Eligible")
    INELIGIBLE = "ineligible", _("Ineligible")


class SourceKind(models.TextChoices):
    SKIN_BIOPSY = "skin_biopsy", _("Skin biopsy")
    BLOOD_DRAW = "blood_draw", _("Peripheral blood draw")
    CORD_BLOOD_UNIT = "cord_blood", _("Cord blood unit")
    BONE_MARROW = "bone_marrow", _("Bone marrow aspirate")
    UMBILICAL_CORD_TISSUE = "cord_tissue", _("Umbilical cord tissue")
    ADIPOSE = "adipose", _("Adipose tissue")


class ReprogrammingMethod(models.TextChoices):
    SENDAI = "sendai", _("Sendai virus")
    EPISOMAL = "episomal", _("Episomal plasmids")
    MRNA = "mrna", _("Synthetic mRNA")
    LENTIVIRAL = "lentiviral", _("Lentiviral (excisable)")


class CellBank(models.TextChoices):
    NONE = "none", _("Not banked")
    MASTER = "mcb", _("Master cell bank")
    WORKING = "wcb", _("Working cell bank")


class StorageCondition(models.TextChoices):
    LN2_VAPOUR = "ln2", _("Liquid nitrogen vapour (≤ −150 °C)")
    FREEZER_80 = "minus80", _("−80 °C freezer (−90 to −65 °C)")
    REFRIGERATED = "fridge", _("Refrigerated (2–8 °C)")
    ROOM = "room", _("Controlled room temperature (15–25 °C)")


# Acceptable temperature range (°C) for each storage condition; outside it is an excursion.
STORAGE_RANGE_C: dict[str, tuple[int, int]] = {
    StorageCondition.LN2_VAPOUR: (-196, -150),
    StorageCondition.FREEZER_80: (-90, -65),
    StorageCondition.REFRIGERATED: (2, 8),
    StorageCondition.ROOM: (15, 25),
}


class ConcentrationUnit(models.TextChoices):
    CELLS_PER_ML = "cells_per_ml", _("cells per mL")
    PARTICLES_PER_ML = "particles_per_ml", _("particles per mL")
    MICROGRAMS_PER_ML = "ug_per_ml", _("µg protein per mL")
    ML_PER_ML = "ml_per_ml", _("mL per mL (vehicle)")


# Which lot concentration unit delivers an arm's dose unit (per kg) by volume.
CONCENTRATION_FOR_DOSE_UNIT = {
    "cells_per_kg": ConcentrationUnit.CELLS_PER_ML,
    "particles_per_kg": ConcentrationUnit.PARTICLES_PER_ML,
    "ug_per_kg": ConcentrationUnit.MICROGRAMS_PER_ML,
    "ml_per_kg": ConcentrationUnit.ML_PER_ML,
}


class LotStatus(models.TextChoices):
    IN_PROCESS = "in_process", _("In process")
    QUARANTINE = "quarantine", _("Quarantine")
    QC_PASSED = "qc_passed", _("QC passed")
    QC_FAILED = "qc_failed", _("QC failed")
    RELEASED = "released", _("Released")
    SHIPPED = "shipped", _("Shipped")
    RECEIVED = "received", _("Received")
    ADMINISTERED = "administered", _("Administered")
    EXPIRED = "expired", _("Expired")
    DESTROYED = "destroyed", _("Destroyed")
    RECALLED = "recalled", _("Recalled")


_S = LotStatus
# The only legal moves of a lot. Expiry, destruction and recall end a lot's life; an allogeneic
# lot stays usable after its first administration ("administered" means "in use").
LOT_TRANSITIONS: dict[str, frozenset[str]] = {
    _S.IN_PROCESS: frozenset({_S.QUARANTINE, _S.DESTROYED}),
    _S.QUARANTINE: frozenset({_S.QC_PASSED, _S.QC_FAILED, _S.EXPIRED, _S.DESTROYED}),
    _S.QC_PASSED: frozenset({_S.RELEASED, _S.EXPIRED, _S.DESTROYED}),
    _S.QC_FAILED: frozenset({_S.DESTROYED, _S.EXPIRED}),
    _S.RELEASED: frozenset({_S.SHIPPED, _S.ADMINISTERED, _S.EXPIRED, _S.DESTROYED, _S.RECALLED}),
    _S.SHIPPED: frozenset({_S.RECEIVED, _S.EXPIRED, _S.DESTROYED, _S.RECALLED}),
    _S.RECEIVED: frozenset({_S.SHIPPED, _S.ADMINISTERED, _S.EXPIRED, _S.DESTROYED, _S.RECALLED}),
    _S.ADMINISTERED: frozenset({_S.SHIPPED, _S.EXPIRED, _S.DESTROYED, _S.RECALLED}),
    _S.EXPIRED: frozenset({_S.DESTROYED, _S.RECALLED}),
    _S.DESTROYED: frozenset(),
    _S.RECALLED: frozenset({_S.DESTROYED}),
}
# A dose may be drawn from a lot only in these statuses (and only while unexpired).
USABLE_LOT_STATUSES = frozenset({_S.RELEASED, _S.RECEIVED, _S.ADMINISTERED})


class ContainerStatus(models.TextChoices):
    AVAILABLE = "available", _("Available")
    IN_TRANSIT = "in_transit", _("In transit")
    ADMINISTERED = "administered", _("Administered")
    DESTROYED = "destroyed", _("Destroyed")


class CriterionKind(models.TextChoices):
    RANGE = "range", _("Within a range")
    AT_LEAST = "min", _("At least")
    AT_MOST = "max", _("At most")
    PASS_FAIL = "pass_fail", _("Pass / fail")


class SpecStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    RETIRED = "retired", _("Retired")


class DeviationClass(models.TextChoices):
    MINOR = "minor", _("Minor")
    MAJOR = "major", _("Major")
    CRITICAL = "critical", _("Critical")


class CustodyKind(models.TextChoices):
    HANDOFF = "handoff", _("Hand-off")
    STORAGE_MOVE = "storage_move", _("Storage move")
    SHIPMENT_DISPATCH = "dispatch", _("Shipment dispatched")
    SHIPMENT_RECEIPT = "receipt", _("Shipment received")
    TEMPERATURE_READING = "temperature", _("Temperature reading")
    EXCURSION_ASSESSMENT = "assessment", _("Excursion assessment")
    CORRECTION = "correction", _("Correction")


class ExcursionOutcome(models.TextChoices):
    ACCEPTABLE = "acceptable", _("Product quality not affected; may be used")
    NOT_ACCEPTABLE = "not_acceptable", _("Product must not be used")


class Reaction(models.TextChoices):
    NONE = "none", _("None")
    INFUSION_REACTION = "infusion", _("Infusion reaction")
    ALLERGIC = "allergic", _("Allergic reaction")
    ANAPHYLAXIS = "anaphylaxis", _("Anaphylaxis")
    VASOVAGAL = "vasovagal", _("Vasovagal episode")
    OTHER = "other", _("Other immediate reaction")


class HlaResolution(models.TextChoices):
    LOW = "low", _("Low (antigen / 2-digit)")
    INTERMEDIATE = "intermediate", _("Intermediate")
    HIGH = "high", _("High (allele / 4-digit)")


class AntibodyResult(models.TextChoices):
    NEGATIVE = "negative", _("Negative")
    POSITIVE = "positive", _("Positive")


class OOSConclusion(models.TextChoices):
    """How an out-of-specification investigation ended (21 CFR 211.192)."""

    LAB_ERROR = "lab_error", _("Laboratory error confirmed: the result is invalidated")
    CONFIRMED = "confirmed", _("No laboratory error: the result stands and the lot fails")
