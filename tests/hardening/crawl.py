"""Pieces of the form crawler: the site's pages, the forms on them, and values to try.

Pages and their arguments come from :mod:`neuroregen.core.pages`; forms are read from the
HTML a page returns, and each field gets values at and beyond its limits.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Field:
    name: str
    kind: str  # input type, "select", "textarea"
    value: str = ""
    options: list[str] = field(default_factory=list)
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass
class Form:
    action: str
    fields: list[Field]
    multipart: bool

    def signature(self) -> tuple[str, tuple[str, ...]]:
        return (self.action, tuple(sorted(f.name for f in self.fields)))


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: Field | None = None
        self._textarea: Field | None = None

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = {k: v or "" for k, v in attrs_list}
        if tag == "form":
            if attrs.get("method", "get").lower() == "post":
                multipart = attrs.get("enctype", "") == "multipart/form-data"
                self._form = Form(attrs.get("action", ""), [], multipart)
            return
        if self._form is None or "name" not in attrs:
            if tag == "option" and self._select is not None:
                self._select.options.append(attrs.get("value", ""))
                if "selected" in attrs:
                    self._select.value = attrs.get("value", "")
            return
        if tag == "input":
            kind = attrs.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                existing = [f for f in self._form.fields if f.name == attrs["name"]]
                if existing:
                    existing[0].options.append(attrs.get("value", "on"))
                    return
                self._form.fields.append(
                    Field(attrs["name"], kind, "", [attrs.get("value", "on")], attrs)
                )
                return
            self._form.fields.append(Field(attrs["name"], kind, attrs.get("value", ""), [], attrs))
        elif tag == "select":
            self._select = Field(attrs["name"], "select", "", [], attrs)
            self._form.fields.append(self._select)
        elif tag == "textarea":
            self._textarea = Field(attrs["name"], "textarea", "", [], attrs)
            self._form.fields.append(self._textarea)

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None
        elif tag == "select" and self._select is not None:
            if not self._select.value and self._select.options:
                chosen = [o for o in self._select.options if o]
                self._select.value = chosen[0] if chosen else ""
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def forms_in(html: str, page_path: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    for form in parser.forms:
        form.action = urlsplit(form.action).path or page_path
    return parser.forms


HUGE = "x" * 1_000_000
HOSTILE = "<script>alert(1)</script>'; DROP TABLE x;-- \u202e\U0001d54f %s {0} ../../etc"
PLAUSIBLE_TEXT = "crawl check 7"


def plausible(form: Form) -> dict[str, Any]:
    """A submission that a careful person might make: initial values, else something sane."""
    data: dict[str, Any] = {}
    for f in form.fields:
        if f.kind == "file":
            continue
        if f.kind in ("checkbox", "radio"):
            continue
        value = f.value
        if not value:
            value = {
                "number": f.attrs.get("min") or "1",
                "date": "2024-01-15",
                "datetime-local": "2024-01-15T10:30",
                "time": "10:30",
                "email": "crawler@example.org",
                "password": "not-the-password",
            }.get(f.kind, PLAUSIBLE_TEXT if f.kind != "hidden" else "")
        data[f.name] = value
    return data


def sample(fields: list[Field], limit: int = 12) -> list[Field]:
    """Up to ``limit`` fields, taking each kind in turn, so a 150-item questionnaire is
    probed for every kind of field it has without posting it a thousand times."""
    by_kind: dict[str, list[Field]] = {}
    for f in fields:
        by_kind.setdefault(f.kind, []).append(f)
    rounds = itertools.zip_longest(*by_kind.values())
    return [f for f in itertools.chain.from_iterable(rounds) if f is not None][:limit]


def boundaries(f: Field) -> Iterator[str]:
    """Values at and beyond the limits of one field."""
    if f.name == "csrfmiddlewaretoken":  # Django's, checked before any view runs
        return
    if f.kind == "number":
        if f.attrs.get("min"):
            yield str(_number(f.attrs["min"]) - 1)
        if f.attrs.get("max"):
            yield str(_number(f.attrs["max"]) + 1)
        yield "-1"
        yield "1e309"
        yield "99999999999999999999"
    elif f.kind in ("date", "datetime-local"):
        yield "0001-01-01"
        yield "9999-12-31" if f.kind == "date" else "9999-12-31T23:59"
        yield "2024-02-30"
    elif f.kind == "select":
        yield "not-an-option"
    elif f.kind in ("text", "textarea", "email", "search", "tel", "url", "hidden", "password"):
        yield HOSTILE
        if f.attrs.get("maxlength"):
            # the form field enforces the limit it announces; one past it is enough
            yield "y" * (int(f.attrs["maxlength"]) + 1)
        else:
            yield HUGE


def _number(text: str) -> float | int:
    number = float(text)
    return int(number) if number.is_integer() else number
