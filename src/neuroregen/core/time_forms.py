"""Form fields for times entered at a site (see ``core.time``).

``SiteDateTimeField`` reads a wall time in the site's zone — not the server's ``TIME_ZONE`` —
and shows a stored moment back in that zone. A time skipped by a daylight-saving change is
refused with its own message; a time that happened twice asks which one, with a small choice
rendered next to the input only then.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.fields import BaseTemporalField
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from neuroregen.core.time import (
    AmbiguousLocalTime,
    LocalTimeError,
    make_aware_at,
    offset_label,
    to_site,
    zone,
)

__all__ = ["SiteDateTimeField", "SiteDateTimeInput", "SiteTimeFormMixin"]

FOLD_SUFFIX = "_fold"


class SiteDateTimeInput(forms.DateTimeInput):
    """A ``datetime-local`` input; after an ambiguous time, also "which occurrence?"."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")
        self.fold_choices: tuple[dt.datetime, ...] = ()

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        value = data.get(name)
        fold = data.get(name + FOLD_SUFFIX)
        if fold in ("0", "1") and isinstance(value, str):
            return (value, int(fold))
        return value

    def format_value(self, value: Any) -> Any:
        if isinstance(value, tuple):
            value = value[0]
        return super().format_value(value)

    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None) -> Any:
        html = super().render(name, value, attrs, renderer)
        if not self.fold_choices:
            return html
        options = format_html_join(
            "",
            '<option value="{}">{}</option>',
            ((str(i), offset_label(moment)) for i, moment in enumerate(self.fold_choices)),
        )
        return format_html(
            '{}<select class="form-select mt-1" name="{}" aria-label="{}">{}</select>',
            html,
            name + FOLD_SUFFIX,
            _("Which occurrence of this time?"),
            options,
        )


class SiteDateTimeField(forms.DateTimeField):
    """A moment entered as wall time at a site; cleans to an aware datetime.

    ``tz_name`` is the site's IANA zone, set by the form (``SiteTimeFormMixin``). A value with
    an explicit UTC offset (API clients, imports) keeps that offset.
    """

    widget = SiteDateTimeInput

    def __init__(self, *args: Any, tz_name: str = "UTC", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tz_name = tz_name

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            return to_site(value, self.tz_name)
        return value

    def to_python(self, value: Any) -> dt.datetime | None:
        fold = None
        if isinstance(value, tuple):
            value, fold = value
        if value in self.empty_values:
            return None
        if isinstance(value, dt.datetime):
            parsed = value
        elif isinstance(value, dt.date):
            # A bare date is midnight wall time at the site, made aware just below.
            parsed = dt.datetime.combine(value, dt.time())
        else:
            try:
                iso = parse_datetime(str(value).strip())
            except ValueError:
                iso = None
            # Not ISO: the input formats. The stubs say this may be None; Django's returns a
            # datetime or raises.
            parsed = iso if iso is not None else BaseTemporalField.to_python(self, value)  # type: ignore[assignment]
        try:
            return make_aware_at(parsed, self.tz_name, fold=fold)
        except AmbiguousLocalTime as error:
            self.widget.fold_choices = error.choices
            raise ValidationError(error.message, code=error.code) from error
        except LocalTimeError as error:
            raise ValidationError(error.message, code=error.code) from error


def zone_help(tz_name: str) -> str:
    """ "Site time: America/New_York (EST, UTC−05:00 now)." shown under a site-time input."""
    label = offset_label(dt.datetime.now(tz=zone(tz_name))).split(" ", 1)[1]
    return _("Site time: %(zone)s %(offset)s.") % {"zone": tz_name, "offset": label}


class SiteTimeFormMixin:
    """Gives every ``SiteDateTimeField`` of the form the site's zone (keyword ``tz_name``)."""

    def _use_site_zone(self, tz_name: str) -> None:
        for field in self.fields.values():  # type: ignore[attr-defined]
            if isinstance(field, SiteDateTimeField):
                field.tz_name = tz_name
                hint = zone_help(tz_name)
                field.help_text = f"{field.help_text} {hint}" if field.help_text else hint
