"""The Russian and Ukrainian catalogues are complete, with three plural forms each."""

from __future__ import annotations

import pytest
from django.utils import translation

from neuroregen.reports.i18n import LANGUAGES_CHECKED, catalogue_gaps


@pytest.mark.parametrize("language", LANGUAGES_CHECKED)
def test_catalogue_has_no_untranslated_or_fuzzy_strings(language):
    gaps = catalogue_gaps(language)
    assert gaps.plural_forms == 3
    assert not gaps.fuzzy, gaps.fuzzy[:20]
    assert not gaps.untranslated, (len(gaps.untranslated), gaps.untranslated[:20])


@pytest.mark.parametrize(
    ("n", "ru", "uk"),
    [
        (1, "1 балл", "1 бал"),
        (3, "3 балла", "3 бали"),
        (7, "7 баллов", "7 балів"),
        (21, "21 балл", "21 бал"),
        (12, "12 баллов", "12 балів"),
    ],
)
def test_plural_forms_follow_the_language(n, ru, uk):
    for language, expected in (("ru", ru), ("uk", uk)):
        with translation.override(language):
            assert translation.ngettext("%(n)s point", "%(n)s points", n) % {"n": n} == expected
