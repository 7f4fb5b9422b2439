"""The evidence page of the demo cohort read in Russian and Ukrainian (issue 17, observations 9
and 11): every verdict, reason, caveat, claim and note the statistics produce is a translated
Text, no English sentence of theirs reaches the page, and the page reconciles its count of
children with the safety tables (allocated and treated, each defined)."""

from __future__ import annotations

import dataclasses
import enum
import html as html_lib
import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import trans_real

from neuroregen.core.models import User
from neuroregen.protocols.models import Protocol
from neuroregen.reports.program import build_program_report
from neuroregen.stats.text import Text, fields_of

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

LANGUAGES = ("ru", "uk")
_JOIN = re.compile(r"^(\{part\d+\}(; )?)*$")  # text_join's own templates carry no words


@pytest.fixture(autouse=True)
def _language_back_to_default():
    yield
    translation.deactivate()


@pytest.fixture
def demo(db, settings):
    settings.NEUROREGEN_EVIDENCE_CACHE_SECONDS = 0
    call_command("demo_setup", participants=48, sites=2, seed=11, stdout=io.StringIO())
    return User.objects.get(username="demo-statistician")


def _texts(value: Any, seen: set[int] | None = None) -> Iterator[Text]:
    """Every Text reachable from *value*, nested params included."""
    seen = set() if seen is None else seen
    if id(value) in seen or value is None or isinstance(value, int | float | bool | enum.Enum):
        return
    seen.add(id(value))
    if isinstance(value, Text):
        yield value
        for param in value.params.values():
            yield from _texts(param, seen)
    elif isinstance(value, str):
        return
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _texts(getattr(value, f.name), seen)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _texts(item, seen)
    elif isinstance(value, list | tuple | set):
        for item in value:
            yield from _texts(item, seen)


def _visible_text(page: str) -> str:
    page = re.sub(r"<(script|style|select|cite)\b.*?</\1>", " ", page, flags=re.S)
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", page))


def _fixed_phrases(template: str) -> list[str]:
    """The literal runs of a template of two or more words (what a reader would see)."""
    literal = re.sub(r"\{[^}]*\}", "\x00", template)
    runs = [r.strip(" ,;:()“”") for r in literal.split("\x00")]
    return [r for r in runs if len(re.findall(r"[A-Za-z]{2,}", r)) >= 2]


def _protocol(code: str) -> Protocol:
    return Protocol.objects.filter(code=code, assignments__arm__isnull=False).distinct().get()


def test_demo_evidence_pages_speak_russian_and_ukrainian(demo):
    client = Client()
    client.force_login(demo)
    for code in ("NR-CELL-01", "NR-EXO-02"):
        protocol = _protocol(code)
        templates: set[str] = set()
        for language in LANGUAGES:
            client.cookies["django_language"] = language
            page = client.get(reverse("evidence_program", args=[protocol.pk]))
            assert page.status_code == 200, (code, language)
            ev = page.context["ev"]
            assert ev.claims, code  # the claims panel is on the page, with its verdicts
            found = {t.template for t in _texts(ev) if not _JOIN.match(t.template)}
            assert len(found) > 20, (code, language)
            templates |= found
            catalogue = trans_real.translation(language)._catalog
            untranslated = sorted(t for t in found if t not in catalogue)
            assert untranslated == [], (code, language)
            visible = _visible_text(page.content.decode())
            leaked = sorted(
                phrase
                for template in found
                for phrase in _fixed_phrases(template)
                # a phrase kept word for word in the translation (a proper name) is no leak
                if phrase in visible and phrase not in catalogue[template]
            )
            assert leaked == [], (code, language)
        # the catalogue keeps each template's fields, so no number or nested text is lost
        for language in LANGUAGES:
            catalogue = trans_real.translation(language)._catalog
            for template in templates:
                names = sorted(n for n, _ in fields_of(template))
                assert sorted(n for n, _ in fields_of(catalogue[template])) == names, template


def test_page_states_allocated_and_treated_as_the_reports_count_them(demo):
    client = Client()
    client.force_login(demo)
    for code in ("NR-CELL-01", "NR-EXO-02"):
        protocol = _protocol(code)
        report = build_program_report(user=demo, kind="dsmb", protocol=protocol, with_charts=False)
        for row in report.arm_counts:
            page = client.get(reverse("evidence_program", args=[protocol.pk]) + f"?arm={row.arm}")
            ev = page.context["ev"]
            # treated on the evidence page = received in the report = the safety tables' n
            assert ev.n_treated == row.received == row.safety_n, (code, row)
            assert ev.n_treated <= ev.n_participants
            counts = re.search(
                r'data-testid="participant-counts">(.*?)</p>', page.content.decode(), re.S
            )
            assert counts is not None
            said = html_lib.unescape(counts.group(1))
            assert f"Allocated: {ev.n_participants} (" in said
            assert f"Treated: {ev.n_treated} of them (" in said
            assert "safety tables" in said
