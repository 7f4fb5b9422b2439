"""Every page of every role, rendered in Russian and Ukrainian, shows no English words.

The same scan as ``neuroregen check_translations --pages`` over the small synthetic cohort the
form crawler uses: evidence, programme and DSMB reports and the family report included.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from neuroregen.core.page_text import scan_site

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_every_page_shows_no_english():
    call_command("demo_setup", participants=8, sites=2, seed=11, stdout=io.StringIO())
    found = list(scan_site(languages=("ru", "uk")))
    lines = sorted(
        {f"{f.path} [{f.name}] {f.language}: {f.word!r} in «{f.snippet}»" for f in found}
    )
    assert not found, "\n".join(lines)
