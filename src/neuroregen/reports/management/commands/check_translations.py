"""``neuroregen check_translations``: list untranslated and fuzzy strings of ru and uk."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from neuroregen.reports.i18n import LANGUAGES_CHECKED, catalogue_gaps


class Command(BaseCommand):
    help = "List untranslated and fuzzy catalogue entries; fail when any remain."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--list", action="store_true", help="print every missing msgid")

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
        if missing:
            raise CommandError(f"{missing} catalogue entries need a translation.")
