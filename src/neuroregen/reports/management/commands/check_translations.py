"""``neuroregen check_translations``: list untranslated and fuzzy strings of ru and uk.

``--pages`` also renders every named page of every role in ru and uk on a small synthetic
cohort, built in a throw-away test database (the configured database is never touched), and
lists English words left on them (:mod:`neuroregen.core.page_text`).
"""

from __future__ import annotations

import io
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from neuroregen.reports.i18n import LANGUAGES_CHECKED, catalogue_gaps


class Command(BaseCommand):
    help = "List untranslated and fuzzy catalogue entries; fail when any remain."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--list", action="store_true", help="print every missing msgid")
        parser.add_argument(
            "--pages",
            action="store_true",
            help="also render every page of every role in ru and uk and list English words",
        )
        parser.add_argument(
            "--only", default="", help="with --pages: pages whose path or URL name contains this"
        )
        parser.add_argument(
            "--language", action="append", choices=LANGUAGES_CHECKED, help="with --pages"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        missing = 0
        for language in LANGUAGES_CHECKED:
            gaps = catalogue_gaps(language)
            missing += len(gaps.untranslated) + len(gaps.fuzzy)
            self.stdout.write(
                f"{language}: {len(gaps.untranslated)} untranslated, "
                f"{len(gaps.fuzzy)} fuzzy, {gaps.plural_forms} plural forms "
                f"({gaps.path})"
            )
            if options["list"]:
                for msgid in (*gaps.untranslated, *gaps.fuzzy):
                    self.stdout.write(f"  {msgid}")
        found = 0
        if options["pages"]:
            found = self._scan_pages(options["language"] or LANGUAGES_CHECKED, options["only"])
        if missing:
            raise CommandError(f"{missing} catalogue entries need a translation.")
        if found:
            raise CommandError(f"{found} English words on translated pages.")

    def _scan_pages(self, languages: tuple[str, ...], only: str) -> int:
        from django.test.utils import (
            setup_databases,
            setup_test_environment,
            teardown_databases,
            teardown_test_environment,
        )

        from neuroregen.core.page_text import scan_site

        setup_test_environment()
        databases = setup_databases(verbosity=0, interactive=False, aliases={"default": {}})
        try:
            call_command("demo_setup", participants=8, sites=2, seed=11, stdout=io.StringIO())
            # One line per page, language, word and snippet, with the roles that saw it.
            grouped: dict[tuple[str, str, str, str], list[str]] = {}
            paths: dict[tuple[str, str, str, str], str] = {}
            for finding in scan_site(languages=languages, only=only):
                key = (finding.name, finding.language, finding.word, finding.snippet)
                grouped.setdefault(key, []).append(finding.role)
                paths.setdefault(key, finding.path)
        finally:
            teardown_databases(databases, verbosity=0)
            teardown_test_environment()
        for key in sorted(grouped, key=lambda k: (paths[k], k)):
            name, language, word, snippet = key
            roles = ", ".join(sorted(set(grouped[key])))
            self.stdout.write(
                f"{paths[key]} [{name}] {language} ({roles}): {word!r} in «{snippet}»"
            )
        self.stdout.write(f"pages: {len(grouped)} English words left")
        return len(grouped)
