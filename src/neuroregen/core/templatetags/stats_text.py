"""``{{ caveat|localise }}``: the statistics' words in the reader's language."""

from __future__ import annotations

from typing import Any

from django import template

from neuroregen.core.stats_text import localise as _localise

register = template.Library()


@register.filter
def localise(value: Any) -> Any:
    """A stats :class:`~neuroregen.stats.text.Text` (or catalogue msgid) in the active language."""
    return _localise(value)
