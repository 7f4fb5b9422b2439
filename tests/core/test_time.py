"""core.time: site zones, wall time to moment (gaps and folds), display, the form field."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.template import Context, Template

from neuroregen.core.admin import admin
from neuroregen.core.errors import ValidationFailed
from neuroregen.core.models import Site
from neuroregen.core.services import site_create
from neuroregen.core.time import (
    AmbiguousLocalTime,
    ImplausibleLocalTime,
    NonexistentLocalTime,
    format_at,
    latest_site_today,
    make_aware_at,
    now_at,
    site_today,
    site_zone_name,
    validate_time_zone,
)
from neuroregen.core.time_forms import SiteDateTimeField, SiteTimeFormMixin

UTC = dt.UTC


def wall(*parts: int) -> dt.datetime:
    """A wall-clock time as typed at a site: naive by design."""
    return dt.datetime(*parts, tzinfo=UTC).replace(tzinfo=None)


@pytest.fixture(autouse=True)
def _server_in_utc(settings):
    settings.TIME_ZONE = "UTC"


def test_wall_time_becomes_the_moment_at_the_site():
    assert make_aware_at(wall(2026, 1, 5, 11, 40), "America/New_York") == dt.datetime(
        2026, 1, 5, 16, 40, tzinfo=UTC
    )
    assert make_aware_at(wall(2026, 1, 5, 11, 40), "Pacific/Kiritimati") == dt.datetime(
        2026, 1, 4, 21, 40, tzinfo=UTC
    )
    aware = dt.datetime(2026, 1, 5, 11, 40, tzinfo=UTC)
    assert make_aware_at(aware, "America/New_York") is aware


def test_time_skipped_by_daylight_saving_is_refused_by_name():
    with pytest.raises(NonexistentLocalTime) as caught:
        make_aware_at(wall(2026, 3, 8, 2, 30), "America/New_York")
    assert "does not exist in America/New_York" in caught.value.message
    assert "03:30 EDT" in caught.value.message
    # Lord Howe moves its clocks by half an hour.
    with pytest.raises(NonexistentLocalTime):
        make_aware_at(wall(2026, 10, 4, 2, 15), "Australia/Lord_Howe")


def test_time_that_happened_twice_asks_which_and_takes_the_answer():
    with pytest.raises(AmbiguousLocalTime) as caught:
        make_aware_at(wall(2026, 10, 25, 1, 30), "Europe/London")
    assert "01:30 BST (UTC+01:00)" in caught.value.message
    assert "01:30 GMT (UTC+00:00)" in caught.value.message
    first = make_aware_at(wall(2026, 10, 25, 1, 30), "Europe/London", fold=0)
    second = make_aware_at(wall(2026, 10, 25, 1, 30), "Europe/London", fold=1)
    assert second - first == dt.timedelta(hours=1)
    assert first == dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_display_has_the_site_zone_abbreviation():
    moment = dt.datetime(2026, 1, 5, 16, 40, tzinfo=UTC)
    assert format_at(moment, "America/New_York") == "2026-01-05 11:40 EST"
    assert format_at(moment, "Asia/Almaty") == "2026-01-05 21:40 +05"
    assert format_at(dt.datetime(2026, 7, 5, 16, 40, tzinfo=UTC), "America/New_York").endswith(
        "12:40 EDT"
    )


def test_today_is_the_site_calendar_date_on_either_side_of_utc():
    late_utc = dt.datetime(2026, 3, 1, 22, 30, tzinfo=dt.UTC)
    assert site_today("Europe/Kyiv", now=late_utc) == dt.date(2026, 3, 2)  # 00:30 in Kyiv
    assert site_today("UTC", now=late_utc) == dt.date(2026, 3, 1)
    early_utc = dt.datetime(2026, 3, 2, 0, 30, tzinfo=dt.UTC)
    assert site_today("Pacific/Honolulu", now=early_utc) == dt.date(2026, 3, 1)  # 14:30 there


def test_a_report_over_several_sites_is_as_of_the_latest_site_date():
    late_utc = dt.datetime(2026, 3, 1, 22, 30, tzinfo=dt.UTC)
    zones = ["Pacific/Honolulu", "Europe/Kyiv", "Europe/London"]
    assert latest_site_today(zones, now=late_utc) == dt.date(2026, 3, 2)
    assert latest_site_today(["Pacific/Honolulu"], now=late_utc) == dt.date(2026, 3, 1)
    assert latest_site_today([], now=late_utc) == dt.date(2026, 3, 1)


def test_zone_of_a_record_follows_it_to_its_site():
    site = Site(code="X", name="X", country="US", time_zone="America/Chicago")

    class Participant:
        pass

    class Event:
        pass

    participant, event = Participant(), Event()
    participant.site = site
    event.participant = participant
    assert site_zone_name(event) == "America/Chicago"
    assert site_zone_name("Asia/Tokyo") == "Asia/Tokyo"
    with pytest.raises(ValueError, match="site"):
        site_zone_name(object())


def test_now_at_is_site_wall_time_to_the_minute():
    now = dt.datetime(2026, 1, 5, 16, 40, 31, 5, tzinfo=UTC)
    local = now_at("America/New_York", now=now)
    assert (local.hour, local.minute, local.second, local.microsecond) == (11, 40, 0, 0)
    assert local.tzinfo == ZoneInfo("America/New_York")


def test_template_filters_show_site_time_and_read_iso_change_logs():
    site = Site(code="X", name="X", country="US", time_zone="America/New_York")
    moment = dt.datetime(2026, 1, 5, 16, 40, tzinfo=UTC)
    rendered = Template(
        "{% load site_time %}{{ m|site_time:site }}|{{ iso|site_time:site }}|"
        "{{ m|site_clock:site }}|{{ m|site_date:'Asia/Tokyo' }}|{{ text|site_time:site }}"
    ).render(Context({"m": moment, "iso": moment.isoformat(), "site": site, "text": "not a time"}))
    assert rendered == ("2026-01-05 11:40 EST|2026-01-05 11:40 EST|11:40 EST|2026-01-06|not a time")


class _EntryForm(SiteTimeFormMixin, forms.Form):
    when = SiteDateTimeField()

    def __init__(self, *args, tz_name, **kwargs):
        super().__init__(*args, **kwargs)
        self._use_site_zone(tz_name)


def test_form_field_reads_and_shows_site_wall_time_whatever_the_server_zone():
    form = _EntryForm({"when": "2026-01-05T11:40"}, tz_name="America/New_York")
    assert form.is_valid()
    assert form.cleaned_data["when"] == dt.datetime(2026, 1, 5, 16, 40, tzinfo=UTC)
    unbound = _EntryForm(
        initial={"when": dt.datetime(2026, 1, 5, 16, 40, tzinfo=UTC)}, tz_name="America/New_York"
    )
    assert 'value="2026-01-05T11:40"' in str(unbound["when"])
    assert "America/New_York" in str(unbound["when"].help_text)


def test_form_field_gap_and_fold_messages_and_fold_choice():
    gap = _EntryForm({"when": "2026-03-29T01:30"}, tz_name="Europe/London")
    assert not gap.is_valid()
    assert "does not exist in Europe/London" in gap.errors["when"][0]
    fold = _EntryForm({"when": "2026-10-25T01:30"}, tz_name="Europe/London")
    assert not fold.is_valid()
    assert "happened twice" in fold.errors["when"][0]
    assert 'name="when_fold"' in str(fold["when"])
    chosen = _EntryForm({"when": "2026-10-25T01:30", "when_fold": "1"}, tz_name="Europe/London")
    assert chosen.is_valid()
    assert chosen.cleaned_data["when"] == dt.datetime(2026, 10, 25, 1, 30, tzinfo=UTC)


def test_explicit_offset_is_kept():
    form = _EntryForm({"when": "2026-01-05T11:40+02:00"}, tz_name="America/New_York")
    assert form.is_valid()
    assert form.cleaned_data["when"] == dt.datetime(2026, 1, 5, 9, 40, tzinfo=UTC)


@pytest.mark.parametrize("bad", ["Eastern", "Mars/Olympus", "utc+5", "", "Europe/Kyiv "])
def test_site_time_zone_must_be_an_iana_name(db, bad):
    with pytest.raises(ValidationError):
        validate_time_zone(bad)
    with pytest.raises(ValidationFailed) as caught:
        site_create(code="BAD", name="Bad", country="US", time_zone=bad)
    assert caught.value.field == "time_zone"
    site = Site(code="BAD2", name="Bad", country="US", time_zone=bad)
    with pytest.raises(ValidationError) as invalid:
        site.full_clean()
    assert "time_zone" in invalid.value.message_dict


def test_site_admin_form_refuses_an_unknown_zone(db):
    model_admin = admin.site._registry[Site]
    form_class = model_admin.get_form(request=None)
    form = form_class({"code": "NEW-1", "name": "New", "country": "US", "time_zone": "New York"})
    assert not form.is_valid()
    assert "IANA" in form.errors["time_zone"][0]
    ok = form_class({"code": "NEW-2", "name": "New", "country": "US", "time_zone": "Etc/GMT+12"})
    assert ok.is_valid(), ok.errors


@pytest.mark.parametrize("year", [1, 1899, 2201, 9999])
def test_a_moment_in_an_implausible_year_is_a_message_not_an_overflow(year):
    """Year 1 at a site east of UTC cannot be converted to UTC (OverflowError → a 500 on the
    custody form); every implausible year is refused with its own message instead."""
    with pytest.raises(ImplausibleLocalTime, match=str(year)):
        make_aware_at(dt.datetime(year, 1, 1, 0, 0), "Asia/Tokyo")  # noqa: DTZ001 - a typed wall time


@pytest.mark.parametrize(
    "typed", ["2024-02-30 10:00", "2024-02-30", "31.02.2024 10:00", "\ufffd\ufffd"]
)
def test_an_impossible_or_garbled_time_is_a_form_error(typed):
    """The crawler's 500s on custody, shipment, source, lot, biomarker and SAE-report forms: an
    impossible calendar date or undecodable text must be the field's own error."""
    field = SiteDateTimeField(tz_name="Asia/Tokyo")
    with pytest.raises(ValidationError):
        field.clean(typed)
