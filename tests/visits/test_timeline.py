"""The pure time module: study day, phases, windows, visit status, time zones and DST."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from neuroregen.protocols import timeline as t
from neuroregen.protocols.visit_choices import Phase, VisitStatus

D0 = dt.date(2026, 3, 20)


def test_study_day_counts_from_day_zero_without_skipping_zero():
    assert t.study_day(D0, D0) == 0
    assert t.study_day(D0, dt.date(2026, 3, 21)) == 1
    assert t.study_day(D0, dt.date(2026, 3, 19)) == -1
    assert t.study_day(D0, dt.date(2027, 3, 20)) == 365


def test_date_of_study_day_is_the_inverse():
    for day in (-30, -1, 0, 7, 180, 365):
        assert t.study_day(D0, t.date_of_study_day(D0, day)) == day


@pytest.mark.parametrize(
    ("day", "phase"),
    [
        (-31, Phase.SCREENING),
        (-30, Phase.BASELINE),
        (-1, Phase.BASELINE),
        (0, Phase.ADMINISTRATION),
        (1, Phase.EARLY),
        (45, Phase.EARLY),
        (46, Phase.MID),
        (150, Phase.MID),
        (151, Phase.LATE),
        (400, Phase.LATE),
        (401, Phase.LONG_TERM),
    ],
)
def test_phase_boundaries_are_inclusive_at_the_end(day, phase):
    assert t.phase_of(day) == phase


def test_protocol_boundaries_move_phases():
    bounds = t.PhaseBoundaries(baseline_from=-14, early_until=30, mid_until=120, late_until=365)
    assert t.phase_of(-20, bounds) == Phase.SCREENING
    assert t.phase_of(40, bounds) == Phase.MID
    assert t.phase_of(366, bounds) == Phase.LONG_TERM


def test_boundaries_out_of_order_are_refused():
    with pytest.raises(ValueError, match="early_until < mid_until"):
        t.PhaseBoundaries(early_until=200, mid_until=150)


def test_window_arithmetic():
    window = t.Window(target=28, before=4, after=3)
    assert (window.open_day, window.close_day) == (24, 31)
    assert window.contains(24)
    assert window.contains(31)
    assert not window.contains(23)
    assert not window.contains(32)
    opens, target, closes = window.dates(D0)
    assert (opens, target, closes) == (
        dt.date(2026, 4, 13),
        dt.date(2026, 4, 17),
        dt.date(2026, 4, 20),
    )
    with pytest.raises(ValueError, match="negative"):
        t.Window(7, before=-1)


def test_windows_overlap_when_sharing_a_day():
    assert t.windows_overlap(t.Window(14, 3, 3), t.Window(20, 3, 3))  # 11..17 and 17..23
    assert not t.windows_overlap(t.Window(14, 3, 2), t.Window(20, 3, 3))  # 11..16 and 17..23


def _status(today, done_on=None, not_done=False, cancelled=False):
    return t.visit_status(
        window_open=dt.date(2026, 4, 10),
        window_close=dt.date(2026, 4, 16),
        today=today,
        done_on=done_on,
        not_done=not_done,
        cancelled=cancelled,
    )


def test_status_transitions_over_time_and_recording():
    assert _status(dt.date(2026, 4, 9)) == VisitStatus.UPCOMING
    assert _status(dt.date(2026, 4, 10)) == VisitStatus.DUE
    assert _status(dt.date(2026, 4, 16)) == VisitStatus.DUE
    assert _status(dt.date(2026, 4, 17)) == VisitStatus.OVERDUE
    # recording decides, whatever today is
    assert _status(dt.date(2026, 4, 17), done_on=dt.date(2026, 4, 12)) == VisitStatus.DONE_IN_WINDOW
    late = _status(dt.date(2026, 4, 20), done_on=dt.date(2026, 4, 18))
    assert late == VisitStatus.DONE_OUT_OF_WINDOW
    early = _status(dt.date(2026, 4, 20), done_on=dt.date(2026, 4, 9))
    assert early == VisitStatus.DONE_OUT_OF_WINDOW
    assert _status(dt.date(2026, 4, 20), not_done=True) == VisitStatus.MISSED
    assert _status(dt.date(2026, 4, 1), cancelled=True) == VisitStatus.CANCELLED


def test_local_date_uses_the_site_time_zone():
    # 22:30 UTC on 1 March is already 2 March in Kyiv but still 1 March in London.
    moment = dt.datetime(2026, 3, 1, 22, 30, tzinfo=dt.UTC)
    assert t.local_date(moment, "Europe/Kyiv") == dt.date(2026, 3, 2)
    assert t.local_date(moment, "Europe/London") == dt.date(2026, 3, 1)
    assert t.local_date(moment, "America/New_York") == dt.date(2026, 3, 1)


def test_naive_datetimes_are_refused():
    with pytest.raises(t.NaiveDateTimeError):
        t.local_date(dt.datetime(2026, 3, 1, 12, 0), "Europe/Kyiv")  # noqa: DTZ001
    with pytest.raises(t.NaiveDateTimeError):
        t.study_day(dt.datetime(2026, 3, 1, tzinfo=dt.UTC), dt.datetime(2026, 3, 2, tzinfo=dt.UTC))


def test_unknown_time_zone_is_refused():
    with pytest.raises(ValueError, match="unknown time zone"):
        t.local_date(dt.datetime(2026, 3, 1, tzinfo=dt.UTC), "Mars/Olympus")


def test_spring_forward_day_is_still_one_study_day():
    # London moved clocks forward on 29 March 2026: that day has 23 hours. An administration at
    # 09:00 on 28 March and a visit at 08:30 on 29 March are 23.5 hours apart — still day 1.
    london = ZoneInfo("Europe/London")
    day_zero = dt.datetime(2026, 3, 28, 9, 0, tzinfo=london)
    visit = dt.datetime(2026, 3, 29, 8, 30, tzinfo=london)
    assert (visit - day_zero) < dt.timedelta(days=1)
    assert t.study_day(day_zero, visit, "Europe/London") == 1


def test_fall_back_day_is_still_one_study_day():
    # Kyiv moved clocks back on 25 October 2026: that day has 25 hours. 00:10 on 25 October to
    # 23:50 the same day is 24 h 40 min of real time, yet the same study day.
    kyiv = ZoneInfo("Europe/Kyiv")
    day_zero = dt.datetime(2026, 10, 25, 0, 10, tzinfo=kyiv)
    same_day = dt.datetime(2026, 10, 25, 23, 50, tzinfo=kyiv)
    elapsed = same_day.astimezone(dt.UTC) - day_zero.astimezone(dt.UTC)
    assert elapsed > dt.timedelta(days=1)
    assert t.study_day(day_zero, same_day, "Europe/Kyiv") == 0
    assert t.study_day(day_zero, same_day + dt.timedelta(minutes=20), "Europe/Kyiv") == 1


def test_moments_stored_in_utc_count_by_site_calendar():
    # Administration at 00:30 Kyiv time (21:30 UTC the previous day) is day 0 on the Kyiv date.
    administered = dt.datetime(2026, 6, 9, 21, 30, tzinfo=dt.UTC)
    assert t.local_date(administered, "Europe/Kyiv") == dt.date(2026, 6, 10)
    follow_up = dt.datetime(2026, 6, 17, 6, 0, tzinfo=dt.UTC)  # 09:00 Kyiv, 17 June
    assert t.study_day(administered, follow_up, "Europe/Kyiv") == 7
    # Read naively in UTC dates it would have been 8 — the error this module exists to prevent.
    assert (follow_up.date() - administered.date()).days == 8


def test_today_at_follows_the_site_not_the_server():
    now = dt.datetime(2026, 1, 1, 23, 0, tzinfo=dt.UTC)
    assert t.today_at("Asia/Almaty", now) == dt.date(2026, 1, 2)
    assert t.today_at("America/New_York", now) == dt.date(2026, 1, 1)
