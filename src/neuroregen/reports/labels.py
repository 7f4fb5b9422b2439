"""Readable, translated labels for the stored codes the reports print (never a raw code).

Analyses keep the stored codes (``cnv``, ``cb_auto``, ``it``, ``3.0`` …) so results stay
reproducible from the exports; only the presentation maps them, through the choices' labels.
"""

from __future__ import annotations

import math
from typing import Any

from django.utils.translation import gettext as _

from neuroregen.participants.choices import Comorbidity, GeneticFinding, Syndrome
from neuroregen.protocols.choices import ProductType, Route

_DIRECTIONS = {
    "higher_is_worse": lambda: _("lower is better"),
    "higherisworse": lambda: _("lower is better"),
    "higher_is_better": lambda: _("higher is better"),
    "higherisbetter": lambda: _("higher is better"),
}


def _choice(choices: Any, code: str) -> str | None:
    try:
        return str(choices(code).label)
    except ValueError:
        return None


def severity_label(value: Any) -> str:
    """DSM-5 level as "Level 2" (stored as 2, read back from frames as 2.0)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(number):
        return _("not recorded")
    return _("Level %(n)s") % {"n": int(number)}


def comorbidity_label(code: str) -> str:
    if code == "none":
        return _("none")
    if code == "several":
        return _("several")
    return _choice(Comorbidity, code) or code


def genetic_label(code: str) -> str:
    """Genetic finding or syndrome (the subgroup "genetic syndrome" mixes both)."""
    if code == "unknown":
        return _("not recorded")
    return _choice(GeneticFinding, code) or _choice(Syndrome, code) or code


def level_label(variable: str, value: Any) -> str:
    """The label of one level of a baseline or subgroup variable, or of a DSMB grouping."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return _("not recorded")
    code = str(value)
    if variable in ("severity", "DSM-5 severity"):
        return severity_label(value)
    if variable in ("product_type", "product", "Product"):
        return _choice(ProductType, code) or code
    if variable in ("route", "Route"):
        return _choice(Route, code) or code
    if variable in ("genetic_finding", "syndrome", "syndrome_group", "genetic syndrome"):
        return genetic_label(code)
    if variable in ("comorbidity_group", "comorbidity"):
        return comorbidity_label(code)
    if variable in ("dose_band", "dose band"):
        return {"low": _("low"), "middle": _("middle"), "high": _("high")}.get(code, code)
    return code


VARIABLE_LABELS = {
    "age band": lambda: _("Age band"),
    "DSM-5 severity": lambda: _("DSM-5 severity level"),
    "genetic syndrome": lambda: _("Genetic syndrome or finding"),
    "comorbidity": lambda: _("Comorbidity"),
    "product": lambda: _("Product"),
    "lot": lambda: _("Lot"),
    "dose band": lambda: _("Dose band (within product)"),
    "route": lambda: _("Route"),
    "dose_band": lambda: _("Dose band (within product)"),
}


def variable_label(name: str) -> str:
    label = VARIABLE_LABELS.get(name)
    return label() if label else name


def direction_label(code: str) -> str:
    label = _DIRECTIONS.get(code)
    return label() if label else code.replace("_", " ")


def heterogeneity_text(p_value: Any) -> str:
    """ "heterogeneity p = 0.12", or "not estimable" when there is no test (never "nan")."""
    try:
        p = float(p_value)
    except (TypeError, ValueError):
        p = math.nan
    if math.isnan(p):
        return _("heterogeneity not estimable")
    return _("heterogeneity p = %(p)s") % {"p": f"{p:.3g}"}
