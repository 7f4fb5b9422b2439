"""Paging of the HTML lists: every row reachable, a bounded number per page."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.http import HttpRequest

PER_PAGE = 100


def page_of(
    request: HttpRequest, items: Any, *, param: str = "page", per_page: int = PER_PAGE
) -> Page:
    """The requested page of ``items`` (an ordered queryset or a list).

    A missing, non-numeric or out-of-range page number gives the first or last page rather
    than an error: page links outlive the data they were made for.
    """
    page = Paginator(items, per_page).get_page(request.GET.get(param))
    page.param = param  # type: ignore[attr-defined]  # read by the pager template
    return page
