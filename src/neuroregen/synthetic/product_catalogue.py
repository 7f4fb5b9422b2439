"""What the demo manufactures: QC specifications and passing results per product type, the
formulation of each product, the kind of source material, and the HLA alleles donors and
recipients are typed with.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from neuroregen.products import choices as c
from neuroregen.protocols.choices import ProductType

D = Decimal
_PF = c.CriterionKind.PASS_FAIL


_COMMON: list[dict[str, Any]] = [
    {
        "test_code": "sterility",
        "name": "Sterility",
        "method": "Ph. Eur. 2.6.27 (BacT/ALERT)",
        "criterion": _PF,
    },
    {
        "test_code": "mycoplasma",
        "name": "Mycoplasma",
        "method": "qPCR (Ph. Eur. 2.6.7)",
        "criterion": _PF,
    },
    {
        "test_code": "endotoxin",
        "name": "Endotoxin",
        "method": "LAL kinetic chromogenic",
        "criterion": c.CriterionKind.AT_MOST,
        "upper": D("0.5"),
        "unit": "EU/mL",
    },
]


_VIABILITY: dict[str, Any] = {
    "test_code": "viability",
    "name": "Viability",
    "method": "7-AAD flow cytometry",
    "criterion": c.CriterionKind.AT_LEAST,
    "lower": D(70),
    "unit": "%",
}


SPECS: dict[str, list[dict[str, Any]]] = {
    ProductType.IPSC_MIX: [
        *_COMMON,
        _VIABILITY,
        {
            "test_code": "karyotype",
            "name": "Karyotype",
            "method": "G-banding, 20 metaphases",
            "criterion": _PF,
        },
        {
            "test_code": "str",
            "name": "Identity to donor (STR)",
            "method": "STR, 16 loci",
            "criterion": _PF,
        },
        {
            "test_code": "vector",
            "name": "Residual reprogramming vector",
            "method": "RT-qPCR",
            "criterion": c.CriterionKind.AT_MOST,
            "upper": D("0.1"),
            "unit": "copies/cell",
        },
        {
            "test_code": "purity",
            "name": "Neural purity (SOX2/NESTIN/MAP2)",
            "method": "Flow cytometry",
            "criterion": c.CriterionKind.AT_LEAST,
            "lower": D(80),
            "unit": "%",
        },
        {
            "test_code": "oct4",
            "name": "Residual OCT4+ cells",
            "method": "Flow cytometry",
            "criterion": c.CriterionKind.AT_MOST,
            "upper": D("0.01"),
            "unit": "%",
        },
    ],
    ProductType.MSC_ALLOGENEIC: [
        *_COMMON,
        _VIABILITY,
        {
            "test_code": "cd73_90_105",
            "name": "CD73/CD90/CD105 positive",
            "method": "Flow cytometry",
            "criterion": c.CriterionKind.AT_LEAST,
            "lower": D(95),
            "unit": "%",
        },
        {
            "test_code": "cd45",
            "name": "CD45 positive",
            "method": "Flow cytometry",
            "criterion": c.CriterionKind.AT_MOST,
            "upper": D(2),
            "unit": "%",
        },
    ],
    ProductType.CORD_BLOOD_AUTOLOGOUS: [
        *_COMMON[:1],
        _VIABILITY,
        {
            "test_code": "tnc",
            "name": "Total nucleated cells",
            "method": "Haematology analyser",
            "criterion": c.CriterionKind.AT_LEAST,
            "lower": D("1e8"),
            "unit": "cells",
        },
        {
            "test_code": "cd34",
            "name": "CD34+ cells",
            "method": "ISHAGE flow cytometry",
            "criterion": c.CriterionKind.AT_LEAST,
            "lower": D("1e6"),
            "unit": "cells",
        },
    ],
    ProductType.MSC_EXOSOMES: [
        *_COMMON,
        {
            "test_code": "particles",
            "name": "Particle concentration",
            "method": "NTA",
            "criterion": c.CriterionKind.RANGE,
            "lower": D("1e10"),
            "upper": D("1e12"),
            "unit": "particles/mL",
        },
        {
            "test_code": "size",
            "name": "Modal particle size",
            "method": "NTA",
            "criterion": c.CriterionKind.RANGE,
            "lower": D(50),
            "upper": D(200),
            "unit": "nm",
        },
        {
            "test_code": "markers",
            "name": "CD63/CD81/TSG101 present",
            "method": "Western blot",
            "criterion": _PF,
        },
        {
            "test_code": "protein",
            "name": "Total protein",
            "method": "BCA assay",
            "criterion": c.CriterionKind.RANGE,
            "lower": D(10),
            "upper": D(500),
            "unit": "µg/mL",
        },
    ],
}


PASSING: dict[str, dict[str, Any]] = {
    "sterility": {"passed": True},
    "mycoplasma": {"passed": True},
    "endotoxin": {"value": D("0.12")},
    "viability": {"value": D(89)},
    "karyotype": {"passed": True},
    "str": {"passed": True},
    "vector": {"value": D("0.002")},
    "purity": {"value": D(91)},
    "oct4": {"value": D("0.001")},
    "cd73_90_105": {"value": D(98)},
    "cd45": {"value": D("0.4")},
    "tnc": {"value": D("9e8")},
    "cd34": {"value": D("3e6")},
    "particles": {"value": D("2e11")},
    "size": {"value": D(118)},
    "markers": {"passed": True},
    "protein": {"value": D(85)},
}


# (concentration, unit, storage) per product type; volumes follow from the planned dose.
FORMULATION: dict[str, tuple[Decimal, str, str]] = {
    ProductType.IPSC_MIX: (
        D("1e7"),
        c.ConcentrationUnit.CELLS_PER_ML,
        c.StorageCondition.LN2_VAPOUR,
    ),
    ProductType.MSC_ALLOGENEIC: (
        D("1e7"),
        c.ConcentrationUnit.CELLS_PER_ML,
        c.StorageCondition.LN2_VAPOUR,
    ),
    ProductType.CORD_BLOOD_AUTOLOGOUS: (
        D("5e7"),
        c.ConcentrationUnit.CELLS_PER_ML,
        c.StorageCondition.LN2_VAPOUR,
    ),
    ProductType.MSC_EXOSOMES: (
        D("2e11"),
        c.ConcentrationUnit.PARTICLES_PER_ML,
        c.StorageCondition.FREEZER_80,
    ),
}


SOURCE_KIND = {
    ProductType.IPSC_MIX: c.SourceKind.SKIN_BIOPSY,
    ProductType.CORD_BLOOD_AUTOLOGOUS: c.SourceKind.CORD_BLOOD_UNIT,
}


HLA_POOL = {
    "a": ["A*01:01", "A*02:01", "A*03:01", "A*24:02", "A*11:01"],
    "b": ["B*07:02", "B*08:01", "B*44:02", "B*35:01", "B*51:01"],
    "c": ["C*07:01", "C*07:02", "C*04:01", "C*05:01"],
    "drb1": ["DRB1*15:01", "DRB1*04:01", "DRB1*03:01", "DRB1*07:01", "DRB1*01:01"],
}
