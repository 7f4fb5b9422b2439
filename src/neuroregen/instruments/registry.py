"""Which instrument and analyte codes exist: the names a visit schedule may expect.

Used by the visits app's system checks, so it must work before the database is ready: the codes
shipped with NeuroRegen are always known; instruments imported into the database are added when
the database can be read.
"""

from __future__ import annotations

from neuroregen.biomarkers.catalogue import ANALYTES
from neuroregen.instruments.builtin import BUILTIN_CODES


def instrument_codes(*, include_database: bool = True) -> set[str]:
    codes = set(BUILTIN_CODES)
    if include_database:
        try:
            from neuroregen.instruments.models import Instrument

            codes |= set(Instrument.objects.values_list("code", flat=True))
        except Exception:  # noqa: S110 - no database yet (checks, first migrate): built-ins only
            pass
    return codes


def analyte_codes() -> set[str]:
    return set(ANALYTES)


def known_codes(*, include_database: bool = True) -> set[str]:
    """Codes of every defined instrument and biomarker analyte."""
    return instrument_codes(include_database=include_database) | analyte_codes()
