"""Analyte and measure codes a visit schedule may expect (see ``catalogue``)."""

from __future__ import annotations

from neuroregen.biomarkers.catalogue import ANALYTES


def known_codes() -> set[str]:
    return set(ANALYTES)
