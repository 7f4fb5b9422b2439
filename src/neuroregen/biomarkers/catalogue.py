"""The analytes and measures the programme tracks, their canonical units and conversions.

Lab analytes are stored in one canonical unit whatever the lab reported (the report is kept
too). Neurophysiology and imaging measures use the same record: EEG absolute spectral power by
band (µV², per electrode region) and MRI diffusion fractional anisotropy (unitless, per named
tract, a myelination marker). A direction is given only where the programme's claim fixes one.
Names are English (exports use them); ``Analyte.label`` translates them for pages.

>>> to_canonical("il6", Decimal("0.012"), "ng/mL")
(Decimal('12.000'), 'pg/mL')
>>> to_canonical("crp", Decimal("0.4"), "mg/dL")
(Decimal('4.0'), 'mg/L')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_noop as N_

LAB, EEG, MRI = "lab", "eeg", "mri"


@dataclass(frozen=True)
class Analyte:
    code: str
    name: str
    kind: str
    unit: str  # canonical unit
    factors: dict[str, Decimal]  # reported unit → multiply to get canonical
    matrices: tuple[str, ...] = ()
    direction: str = ""  # "higher_worse" / "higher_better" / "" (no claimed direction)
    regions: tuple[str, ...] = ()  # required region vocabulary (EEG electrode region, MRI tract)
    note: str = ""
    aliases: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> Promise:
        """The name in the reader's language (``name`` stays English for exports)."""
        return gettext_lazy(self.name)


_PG = {
    "pg/mL": Decimal(1),
    "ng/L": Decimal(1),
    "ng/mL": Decimal(1000),
    "pg/L": Decimal("0.001"),
    "fg/mL": Decimal("0.001"),
}
_BLOOD = ("plasma", "serum")
_FLUIDS = ("plasma", "serum", "csf")
EEG_REGIONS = (
    "frontal",
    "central",
    "temporal_left",
    "temporal_right",
    "parietal",
    "occipital",
    "global",
)
MRI_TRACTS = (
    "cc_genu",
    "cc_body",
    "cc_splenium",
    "arcuate_left",
    "arcuate_right",
    "uncinate_left",
    "uncinate_right",
    "cingulum_left",
    "cingulum_right",
    "ilf_left",
    "ilf_right",
    "cst_left",
    "cst_right",
)
_POWER = {"µV²": Decimal(1), "nV²": Decimal("0.000001"), "mV²": Decimal(1_000_000)}

ANALYTES: dict[str, Analyte] = {
    a.code: a
    for a in [
        Analyte(
            "il6",
            N_("Interleukin-6 (IL-6)"),
            LAB,
            "pg/mL",
            _PG,
            _FLUIDS,
            "higher_worse",
            note="Claimed to fall in the early phase.",
        ),
        Analyte(
            "tnfa",
            N_("Tumour necrosis factor alpha (TNF-α)"),
            LAB,
            "pg/mL",
            _PG,
            _FLUIDS,
            "higher_worse",
            note="Claimed to fall in the early phase.",
        ),
        Analyte(
            "il1b", N_("Interleukin-1 beta (IL-1β)"), LAB, "pg/mL", _PG, _FLUIDS, "higher_worse"
        ),
        Analyte("il10", N_("Interleukin-10 (IL-10)"), LAB, "pg/mL", _PG, _FLUIDS),
        Analyte("ifng", N_("Interferon gamma (IFN-γ)"), LAB, "pg/mL", _PG, _FLUIDS),
        Analyte(
            "crp",
            N_("C-reactive protein, high-sensitivity (hs-CRP)"),
            LAB,
            "mg/L",
            {"mg/L": Decimal(1), "mg/dL": Decimal(10), "µg/mL": Decimal(1)},
            _BLOOD,
            "higher_worse",
        ),
        Analyte(
            "bdnf",
            N_("Brain-derived neurotrophic factor (BDNF)"),
            LAB,
            "ng/mL",
            {"ng/mL": Decimal(1), "pg/mL": Decimal("0.001"), "µg/L": Decimal(1)},
            _BLOOD,
        ),
        *[
            Analyte(
                f"eeg_{band}",
                name,
                EEG,
                "µV²",
                _POWER,
                regions=EEG_REGIONS,
                note=f"{limits} Hz",
            )
            for band, name, limits in (
                ("delta", N_("EEG absolute power, delta band"), "1–4"),
                ("theta", N_("EEG absolute power, theta band"), "4–8"),
                ("alpha", N_("EEG absolute power, alpha band"), "8–13"),
                ("beta", N_("EEG absolute power, beta band"), "13–30"),
                ("gamma", N_("EEG absolute power, gamma band"), "30–45"),
            )
        ],
        Analyte(
            "mri_fa",
            N_("MRI diffusion fractional anisotropy (FA)"),
            MRI,
            "1",
            {"1": Decimal(1)},
            direction="higher_better",
            regions=MRI_TRACTS,
            note="Myelination marker; 0–1, per named tract.",
        ),
    ]
}

UNIT_ALIASES = {
    "pg/ml": "pg/mL",
    "ng/ml": "ng/mL",
    "ng/l": "ng/L",
    "pg/l": "pg/L",
    "fg/ml": "fg/mL",
    "mg/l": "mg/L",
    "mg/dl": "mg/dL",
    "ug/ml": "µg/mL",
    "μg/ml": "µg/mL",
    "µg/ml": "µg/mL",
    "ug/l": "µg/L",
    "µg/l": "µg/L",
    "uv2": "µV²",
    "uv^2": "µV²",
    "µv2": "µV²",
    "µv^2": "µV²",
    "μv²": "µV²",
    "µv²": "µV²",
    "nv2": "nV²",
    "mv2": "mV²",
    "": "1",
    "fa": "1",
    "1": "1",
}


class UnitError(ValueError):
    """The unit is not one this analyte can be converted from."""


def normalise_unit(unit: str) -> str:
    text = (unit or "").strip()
    return UNIT_ALIASES.get(text.lower().replace(" ", ""), text)


def to_canonical(code: str, value: Decimal, unit: str) -> tuple[Decimal, str]:
    """Convert ``value`` in ``unit`` to the analyte's canonical unit."""
    analyte = ANALYTES[code]
    unit = normalise_unit(unit)
    if unit not in analyte.factors:
        raise UnitError(
            f"'{unit}' cannot be converted for {analyte.name}; use one of "
            + ", ".join(analyte.factors)
        )
    return value * analyte.factors[unit], analyte.unit
