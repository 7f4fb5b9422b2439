"""The site's named pages and plausible arguments for them, drawn from rows in the database.

Pages come from the URL resolver (every named pattern outside the API, Django's admin and the
language switch), their arguments from whatever cohort the database holds. The form crawler
(tests/hardening) posts every form on these pages; ``check_translations --pages`` reads their
visible text (:mod:`neuroregen.core.page_text`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import models
from django.urls import URLPattern, URLResolver, get_resolver

SKIPPED_PREFIXES = ("api/", "admin/", "i18n/", "static/")
# Leaving the session would end the crawl of a role; it has nothing to validate.
SKIPPED_NAMES = {"logout", "login"}


@dataclass(frozen=True)
class Page:
    name: str
    route: str  # e.g. "participants/<str:study_code>/edit/"
    kwargs: tuple[str, ...]
    app: str  # "participants", from the view's module


def pages() -> list[Page]:
    """Every named page of the site, with the arguments its URL takes."""
    found: list[Page] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if route.startswith(SKIPPED_PREFIXES):
                continue
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and pattern.name:
                if pattern.name in SKIPPED_NAMES:
                    continue
                module = getattr(pattern.callback, "__module__", "") or ""
                app = module.split(".")[1] if module.startswith("neuroregen.") else ""
                names = (
                    tuple(pattern.pattern.converters)
                    if hasattr(pattern.pattern, "converters")
                    else ()
                )
                found.append(Page(pattern.name, route, names, app))

    walk(get_resolver().url_patterns, "")
    return found


def build(route: str, values: dict[str, Any]) -> str:
    """The path for ``route`` with ``values`` put in for its ``<conv:name>`` parts."""
    path = route
    for name, value in values.items():
        for conv in ("str", "int", "slug", "path", "uuid"):
            path = path.replace(f"<{conv}:{name}>", str(value))
        path = path.replace(f"<{name}>", str(value))
    return "/" + path


def candidates(page: Page, limit: int = 8) -> list[dict[str, Any]]:
    """Plausible argument sets for a page, drawn from rows in the database."""
    if not page.kwargs:
        return [{}]
    per_name = [_values_for(name, page.app) for name in page.kwargs]
    return [
        dict(zip(page.kwargs, combo, strict=True))
        for combo in itertools.islice(itertools.product(*per_name), limit)
    ]


def _values_for(name: str, app: str) -> list[Any]:
    own = [m for m in apps.get_models() if m.__module__.startswith(f"neuroregen.{app}.")]
    others = [m for m in apps.get_models() if m not in own]
    values: list[Any] = []
    if name in ("pk", "id") or name.endswith(("_pk", "_id")):
        for model in own:
            values.extend(model._default_manager.order_by("pk").values_list("pk", flat=True)[:2])
        return list(dict.fromkeys(values))[:12] or [1]
    for model in [*own, *others]:
        if name in {f.name for f in model._meta.get_fields() if isinstance(f, models.CharField)}:
            rows = model._default_manager.exclude(**{name: ""}).values_list(name, flat=True)
            values.extend(rows.order_by("pk")[:3])
    if not values:
        for model in own:
            if "code" in {f.name for f in model._meta.get_fields()}:
                values.extend(model._default_manager.values_list("code", flat=True)[:3])
    return list(dict.fromkeys(str(v) for v in values))[:12] or ["x"]
