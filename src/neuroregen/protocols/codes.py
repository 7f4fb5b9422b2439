"""Which instrument, biomarker and safety-check codes a schedule may name.

Instrument and biomarker definitions belong to their own apps, above this one: each registers
a provider of its codes here from its ``AppConfig.ready()`` (see :func:`provide`), so protocols
never import them. Until one has (or when its provider returns nothing), the built-in lists
below stand in — the instrument and analyte codes of DOMAIN.md §2 — so schedules can still be
checked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from neuroregen.protocols.visit_choices import SafetyCheck

BUILTIN_INSTRUMENTS = frozenset(
    {"atec", "cgi_s", "cgi_i", "abc2", "cars2", "srs2", "vineland3", "cshq"}
)
BUILTIN_BIOMARKERS = frozenset({"il6", "tnfa"})

INSTRUMENTS = "instruments"
BIOMARKERS = "biomarkers"

_providers: dict[str, Callable[[], Iterable[str]]] = {}


def provide(kind: str, known_codes: Callable[[], Iterable[str]]) -> None:
    """Register the function that lists the codes of ``kind`` (INSTRUMENTS or BIOMARKERS)."""
    if kind not in (INSTRUMENTS, BIOMARKERS):
        raise ValueError(f"unknown kind of code: {kind}")
    _providers[kind] = known_codes


def _codes(kind: str, fallback: frozenset[str]) -> frozenset[str]:
    provider = _providers.get(kind)
    if provider is None:
        return fallback
    return frozenset(str(code) for code in provider()) or fallback


def known_instruments() -> frozenset[str]:
    """Instrument codes from the instruments app's provider, or the built-ins."""
    return _codes(INSTRUMENTS, BUILTIN_INSTRUMENTS)


def known_biomarkers() -> frozenset[str]:
    """Analyte codes from the biomarkers app's provider, or the built-ins."""
    return _codes(BIOMARKERS, BUILTIN_BIOMARKERS)


def known_safety_checks() -> frozenset[str]:
    return frozenset(SafetyCheck.values)
