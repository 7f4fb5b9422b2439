"""``neuroregen dictionary import FILE`` and
``neuroregen dictionary export INSTRUMENT --out FILE``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from neuroregen.core.errors import NotFound
from neuroregen.instruments import services
from neuroregen.instruments.errors import DictionaryRejected


class Command(BaseCommand):
    help = "Import or export instrument definitions as REDCap data dictionary CSV files."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        importer = sub.add_parser("import", help="Import a dictionary (all or nothing).")
        importer.add_argument("file", type=Path)
        importer.add_argument("--title", default="", help="Title for new instruments.")
        exporter = sub.add_parser("export", help="Export one instrument's dictionary.")
        exporter.add_argument("instrument")
        exporter.add_argument("--out", type=Path, required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "import":
            path: Path = options["file"]
            try:
                text = path.read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError) as exc:
                raise CommandError(f"cannot read {path}: {exc}") from exc
            try:
                imported = services.dictionary_import(user=None, text=text, title=options["title"])
            except DictionaryRejected as exc:
                for problem in exc.problems:
                    self.stderr.write(f"{path}: {problem}")
                raise CommandError(
                    f"{len(exc.problems)} problem(s) in {path}; nothing was imported."
                ) from exc
            self.stdout.write(f"imported {', '.join(i.code for i in imported)}")
            return
        try:
            instrument = services.instrument_get(options["instrument"])
        except NotFound as exc:
            raise CommandError(exc.message) from exc
        out: Path = options["out"]
        # newline="" keeps the CSV's own CRLF line ends byte for byte.
        with out.open("w", encoding="utf-8", newline="") as handle:
            handle.write(services.dictionary_export(instrument=instrument))
        self.stdout.write(f"wrote {out} ({instrument.fields.count()} fields)")
