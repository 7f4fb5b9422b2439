"""Every page of every role, rendered in Russian and Ukrainian, shows no English words.

The same scan as ``neuroregen check_translations --pages`` over the small synthetic cohort the
form crawler uses. Pages whose texts are still being translated elsewhere (evidence, reports,
DSMB and the family report) are checked in their own test, marked as expected to fail until
that work lands; every other page must be clean.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from neuroregen.core.page_text import scan_site

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

# Evidence statistics, programme/DSMB reports and the family report: translated by the work on
# those texts, not here. The xfail below comes off when it is merged.
ELSEWHERE = ("/evidence/", "/reports/", "/family/reports/", "/safety/dsmb/")


def _elsewhere(path: str) -> bool:
    return path.startswith(ELSEWHERE)


_SCANNED: list[list] = []  # one scan (about a thousand pages) serves both tests


def _findings() -> list:
    if not _SCANNED:
        call_command("demo_setup", participants=8, sites=2, seed=11, stdout=io.StringIO())
        _SCANNED.append(list(scan_site(languages=("ru", "uk"))))
    return _SCANNED[0]


def _lines(found):
    return "\n".join(
        sorted({f"{f.path} [{f.name}] {f.language}: {f.word!r} in «{f.snippet}»" for f in found})
    )


def test_pages_outside_evidence_and_reports_show_no_english():
    left = [f for f in _findings() if not _elsewhere(f.path)]
    assert not left, _lines(left)


@pytest.mark.xfail(
    strict=False, reason="evidence, report, DSMB and family-report texts are translated elsewhere"
)
def test_evidence_and_report_pages_show_no_english():
    left = [f for f in _findings() if _elsewhere(f.path)]
    assert not left, _lines(left)
