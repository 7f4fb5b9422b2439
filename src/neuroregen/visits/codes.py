"""Which instrument, biomarker and safety-check codes a schedule may name.

Instrument and biomarker definitions belong to their own apps. Each may provide a registry
module with ``known_codes()``; until one does (or when it cannot be imported), the built-in
lists below stand in — the instrument and analyte codes of DOMAIN.md §2 — so schedules can
still be checked.
"""

from __future__ import annotations

import importlib

from neuroregen.visits.choices import SafetyCheck

BUILTIN_INSTRUMENTS = frozenset(
    {"atec", "cgi_s", "cgi_i", "abc2", "cars2", "srs2", "vineland3", "cshq"}
)
BUILTIN_BIOMARKERS = frozenset({"il6", "tnfa"})


def _registry_codes(module: str, fallback: frozenset[str]) -> frozenset[str]:
    # The registry is optional: its app may not define it yet, so fall back to the built-ins.
    try:
        registry = importlib.import_module(module)
        codes = frozenset(str(code) for code in registry.known_codes())
    except (ImportError, AttributeError):
        return fallback
    return codes or fallback


def known_instruments() -> frozenset[str]:
    """Instrument codes: ``neuroregen.instruments.registry.known_codes()`` or the built-ins."""
    return _registry_codes("neuroregen.instruments.registry", BUILTIN_INSTRUMENTS)


def known_biomarkers() -> frozenset[str]:
    """Analyte codes: ``neuroregen.biomarkers.registry.known_codes()`` or the built-ins."""
    return _registry_codes("neuroregen.biomarkers.registry", BUILTIN_BIOMARKERS)


def known_safety_checks() -> frozenset[str]:
    return frozenset(SafetyCheck.values)
