"""core.stats_text.localise: the statistics' texts in the reader's language, with locale numbers."""

from __future__ import annotations

import math

import pytest
from django.template import Context, Template
from django.utils import translation

from neuroregen.core.stats_text import localise
from neuroregen.stats.results import SMALL_N
from neuroregen.stats.text import text, text_join

REASON = text(
    "the whole {level} ({span}) lies outside the claim ({target})",
    level=text("{level}% interval", level=95),
    span=text("{low:.0%}–{high:.0%}", low=0.09, high=0.45),
    target=text("between {lower:.0%} and {upper:.0%}", lower=0.6, upper=0.8),
)


@pytest.fixture(autouse=True)
def _english_afterwards():
    yield
    translation.deactivate()


@pytest.mark.parametrize("language", ["ru", "uk"])
def test_decimal_comma_in_ru_and_uk(language: str) -> None:
    # fixed decimals, percentages and general format keep the English digits with the
    # locale's decimal mark; integers stay integers
    value = text("{a:.2f} | {p:.1%} | {r:g} | {n} | {x}", a=-3.14159, p=0.1234, r=0.94, n=12, x=2.5)
    assert localise(value, language) == "-3,14 | 12,3% | 0,94 | 12 | 2,5"
    assert localise(value, "en") == "-3.14 | 12.3% | 0.94 | 12 | 2.5" == value


def test_nested_texts_are_translated_recursively() -> None:
    assert localise(REASON, "ru") == (
        "весь 95%-й доверительный интервал (9%–45%) лежит вне заявленного (от 60% до 80%)"
    )
    assert localise(REASON, "uk") == (
        "увесь 95%-й довірчий інтервал (9%–45%) лежить поза заявленим (від 60% до 80%)"
    )
    assert localise(REASON, "en") == str(REASON)


def test_joined_texts_and_plain_msgids_are_translated_unknown_strings_pass() -> None:
    joined = text_join([SMALL_N, text("random intercept")])
    assert localise(joined, "ru") == (
        "малая выборка: интервал широк, оценка неустойчива; случайный свободный член"
    )
    # a plain catalogue msgid (an enum value, a benchmark field) is translated as well
    assert localise("not supported", "uk") == "не підтверджено"
    assert localise("ATEC total", "ru") == "ATEC total"
    assert localise(7, "ru") == 7
    assert localise(None, "ru") is None


def test_missing_number_reads_in_the_language() -> None:
    shown = localise(text("{what}: {v:.2f}", what="x", v=math.nan), "ru")
    assert shown == "x: н/д"


def test_template_filter_uses_the_active_language() -> None:
    template = Template("{% load stats_text %}{{ reason|localise }}")
    with translation.override("uk"):
        html = template.render(Context({"reason": REASON}))
    assert html.startswith("увесь 95%-й довірчий інтервал")
