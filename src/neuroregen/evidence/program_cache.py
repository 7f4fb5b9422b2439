"""The programme analysis of a protocol, computed once per data version and shared by the page
and the API (the caching itself is :mod:`neuroregen.evidence.cache`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils import translation

# analysis and selectors are read as modules, at call time, so a test may stand in for
# analyse_program or the frames without reaching into this module
from neuroregen.evidence import analysis, selectors
from neuroregen.evidence.cache import cached, scope_key
from neuroregen.evidence.phase_summary import plan_of
from neuroregen.protocols.models import Protocol

__all__ = ["cached_analysis"]


def cached_analysis(
    user: Any, protocol_pk: int, arm: str, definition_key: str, frames: Callable[[], Any]
) -> Any:
    """``analyse_program`` for one protocol, arm and responder definition, shared by the page
    and the API; ``frames`` is called only when the result is not cached. The protocol's
    analysis plan is part of the data version (protocols keep history); the language is part
    of the key because the results carry their words."""

    def compute() -> Any:
        plan = plan_of(Protocol.objects.filter(pk=protocol_pk).first())
        return analysis.analyse_program(
            frames(),
            arm=arm or None,
            definition_key=definition_key,
            control_arms=selectors.control_arm_codes(protocol_pk),
            plan=plan,
        )

    language = translation.get_language() or ""
    return cached(scope_key(user, protocol_pk, "analysis", arm, definition_key, language), compute)
