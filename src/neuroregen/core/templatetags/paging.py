"""``{% page_url page number %}``: this page's URL with another page number for ``page``."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def page_url(context: dict[str, Any], page: Any, number: int) -> str:
    query = context["request"].GET.copy()
    query[page.param] = str(number)
    return "?" + query.urlencode()
