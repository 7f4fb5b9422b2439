"""Counts with units: CLDR's forms for integers and fractions in Russian and Ukrainian."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.utils import translation

from neuroregen.core.numbers import number
from neuroregen.core.plurals import days, points


@pytest.mark.parametrize(
    ("language", "value", "expected"),
    [
        ("ru", 1, "1 балл"),
        ("ru", 3, "3 балла"),
        ("ru", 12, "12 баллов"),
        ("ru", 21, "21 балл"),
        ("ru", 12.8, "12,8 балла"),
        ("ru", 0.5, "0,5 балла"),
        ("ru", 11.0, "11 баллов"),  # a whole number stays whole
        ("uk", 1, "1 бал"),
        ("uk", 4, "4 бали"),
        ("uk", 12, "12 балів"),
        ("uk", 12.8, "12,8 бала"),
        ("en", 1, "1 point"),
        ("en", 12.8, "12.8 points"),
    ],
)
def test_points_take_the_form_cldr_gives_the_number(language, value, expected):
    with translation.override(language):
        assert points(value) == expected


@pytest.mark.parametrize(
    ("language", "value", "expected"),
    [
        ("ru", 1, "1 день"),
        ("ru", 2, "2 дня"),
        ("ru", 5, "5 дней"),
        ("ru", 1.5, "1,5 дня"),
        ("uk", 2, "2 дні"),
        ("uk", 5, "5 днів"),
        ("uk", 2.5, "2,5 дня"),
        ("en", 1.5, "1.5 days"),
    ],
)
def test_days_take_the_form_cldr_gives_the_number(language, value, expected):
    with translation.override(language):
        assert days(value) == expected


def test_rounding_decides_the_form_and_a_negative_number_reads_with_a_minus_sign():
    with translation.override("ru"):
        assert points(4.96) == "5 баллов"  # shown as 5, so counted as 5
        assert points(-2.25, 2) == "−2,25 балла"
        assert number(-3.0) == "−3"


def test_template_filters_phrase_the_same_way():
    template = Template("{% load plurals %}{{ a|points }} / {{ b|days }} / {{ c|points:2 }}")
    with translation.override("uk"):
        text = template.render(Context({"a": 12.8, "b": 3, "c": None}))
    assert text == "12,8 бала / 3 дні / —"
