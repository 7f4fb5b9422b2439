"""Completeness of the translation catalogues (ru, uk): untranslated and fuzzy entries.

Uses Debian gettext's ``msgattrib`` so the check reads catalogues exactly as ``msgfmt`` does.
Run ``neuroregen check_translations`` (non-zero exit when a gap remains) or call
:func:`catalogue_gaps` from a test.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

LANGUAGES_CHECKED = ("ru", "uk")


@dataclass(frozen=True)
class CatalogueGaps:
    language: str
    path: Path
    untranslated: tuple[str, ...]
    fuzzy: tuple[str, ...]
    plural_forms: int

    @property
    def complete(self) -> bool:
        return not self.untranslated and not self.fuzzy


def _msgids(po_text: str) -> tuple[str, ...]:
    ids = []
    for block in po_text.split("\n\n"):
        match = re.search(r'^msgid ((?:".*"\n?)+)', block, flags=re.M)
        if match:
            text = "".join(re.findall(r'"(.*)"', match.group(1)))
            if text:
                ids.append(text)
    return tuple(ids)


def _attrib(path: Path, flag: str) -> str:
    result = subprocess.run(  # noqa: S603 - fixed arguments, no shell
        ["msgattrib", flag, "--no-obsolete", str(path)],  # noqa: S607 - Debian gettext on PATH
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def catalogue_gaps(language: str, locale_dir: Path | None = None) -> CatalogueGaps:
    base = locale_dir or Path(settings.LOCALE_PATHS[0])
    path = base / language / "LC_MESSAGES" / "django.po"
    text = path.read_text(encoding="utf-8")
    nplurals = re.search(r"nplurals=(\d+)", text)
    return CatalogueGaps(
        language=language,
        path=path,
        untranslated=_msgids(_attrib(path, "--untranslated")),
        fuzzy=_msgids(_attrib(path, "--only-fuzzy")),
        plural_forms=int(nplurals.group(1)) if nplurals else 0,
    )
