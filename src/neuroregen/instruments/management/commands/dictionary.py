"""``neuroregen dictionary import FILE [--replace]`` (a REDCap data dictionary CSV or project
XML), ``neuroregen dictionary export INSTRUMENT --out FILE``,
and the published wording of an instrument in another language:
``neuroregen dictionary translation-template INSTRUMENT LANGUAGE --out FILE`` and
``neuroregen dictionary translation-import INSTRUMENT LANGUAGE FILE --source "…"``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from neuroregen.core.checks import DATA_COMMAND_CHECKS
from neuroregen.core.errors import DomainError, NotFound
from neuroregen.core.models import User
from neuroregen.instruments import redcap_schedule, services, translations
from neuroregen.instruments.dictionaries import DictionaryImport, dictionary_import_report
from neuroregen.instruments.errors import DictionaryRejected
from neuroregen.instruments.redcap import UndecodableFile, decode_text
from neuroregen.visits.models import VisitDefinition


class Command(BaseCommand):
    requires_system_checks = DATA_COMMAND_CHECKS  # see neuroregen.core.checks
    help = (
        "Import instrument definitions from a REDCap data dictionary CSV or project XML, or "
        "export one instrument's dictionary."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        importer = sub.add_parser(
            "import", help="Import a dictionary CSV or REDCap project XML (all or nothing)."
        )
        importer.add_argument("file", type=Path)
        importer.add_argument(
            "--encoding",
            default=None,
            help="The file's encoding (default: recognised; UTF-8, UTF-16, Windows-1251, Latin-1).",
        )
        importer.add_argument("--title", default="", help="Title for new instruments.")
        importer.add_argument(
            "--reason", default="", help="Why the definitions change (kept in their history)."
        )
        importer.add_argument(
            "--protocol", default="", help="Code of the protocol --create-protocol creates."
        )
        importer.add_argument(
            "--create-protocol",
            action="store_true",
            help="Project XML: make its events and arms a draft protocol (--protocol, --arms, "
            "--user).",
        )
        importer.add_argument(
            "--arms",
            type=Path,
            default=None,
            help="JSON: REDCap arm number → product_type, route, dose_unit and doses per kg.",
        )
        importer.add_argument(
            "--user", default="", help="The account creating the protocol (its audit trail)."
        )
        importer.add_argument(
            "--replace",
            action="store_true",
            help="Replace instruments the file changes (once they have responses, only by "
            "adding fields or choices).",
        )
        exporter = sub.add_parser("export", help="Export one instrument's dictionary.")
        exporter.add_argument("instrument")
        exporter.add_argument("--out", type=Path, required=True)
        template = sub.add_parser(
            "translation-template", help="Write the sheet a translator fills for a language."
        )
        template.add_argument("instrument")
        template.add_argument("language")
        template.add_argument("--out", type=Path, required=True)
        wording = sub.add_parser(
            "translation-import",
            help="Import an instrument's published wording in a language (all or nothing).",
        )
        wording.add_argument("instrument")
        wording.add_argument("language")
        wording.add_argument("file", type=Path)
        wording.add_argument(
            "--source", required=True, help="The published form the wording comes from."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "translation-template":
            self._template(options)
            return
        if options["action"] == "translation-import":
            self._translation_import(options)
            return
        if options["action"] == "import":
            path: Path = options["file"]
            text = _read(path, options["encoding"])
            if options["create_protocol"] and not options["protocol"]:
                raise CommandError("--create-protocol needs --protocol CODE")
            try:
                with transaction.atomic():
                    report = dictionary_import_report(
                        user=None,
                        text=text,
                        title=options["title"],
                        reason=options["reason"],
                        replace=options["replace"],
                    )
                    if options["create_protocol"]:
                        self._protocol(report, options)
            except DictionaryRejected as exc:
                for problem in exc.problems:
                    self.stderr.write(f"{path}: {problem}")
                raise CommandError(
                    f"{len(exc.problems)} problem(s) in {path}; nothing was imported."
                ) from exc
            self._report(report)
            return
        instrument = _instrument(options["instrument"])
        out: Path = options["out"]
        # newline="" keeps the CSV's own CRLF line ends byte for byte.
        with out.open("w", encoding="utf-8", newline="") as handle:
            handle.write(services.dictionary_export(instrument=instrument))
        self.stdout.write(f"wrote {out} ({instrument.fields.count()} fields)")

    def _protocol(self, report: DictionaryImport, options: dict[str, Any]) -> None:
        """The project's events and arms as a draft protocol, in the import's transaction."""
        project = report.project
        if project is None or not project.events:
            raise CommandError(
                "--create-protocol needs a REDCap project XML with events (a longitudinal "
                "project); nothing was imported"
            )
        user = User.objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(
                "say who creates the protocol with --user USERNAME (an active account); "
                "nothing was imported"
            )
        try:
            arms = redcap_schedule.read_arms(options["arms"], project)
            protocol = redcap_schedule.protocol_from_project(
                user=user, project=project, code=options["protocol"], arms=arms
            )
        except redcap_schedule.ArmsMissing as exc:
            raise CommandError(f"{exc}; nothing was imported") from exc
        except DomainError as exc:
            for message in getattr(exc, "errors", [exc.message]):
                self.stderr.write(f"protocol: {message}")
            raise CommandError(
                f"the events do not make a valid protocol ({exc.message}); nothing was imported"
            ) from exc
        visits = VisitDefinition.objects.filter(protocol=protocol).count()
        self.stdout.write(
            f"created draft protocol {protocol.code} {protocol.version} "
            f"({protocol.arms.count()} arm(s), {visits} visit(s))"
        )

    def _report(self, report: DictionaryImport) -> None:
        if report.created:
            self.stdout.write(f"imported {', '.join(report.created)}")
        for code, changes in report.replaced.items():
            self.stdout.write(f"replaced {code}:")
            for line in changes:
                self.stdout.write(f"  {line}")
        if report.unchanged:
            self.stdout.write(
                f"unchanged (identical to the instrument already here): "
                f"{', '.join(report.unchanged)}"
            )
        if not report.created and not report.replaced:
            self.stdout.write("nothing changed")

    def _template(self, options: dict[str, Any]) -> None:
        instrument = _instrument(options["instrument"])
        out: Path = options["out"]
        with out.open("w", encoding="utf-8", newline="") as handle:
            handle.write(
                translations.translation_template(
                    instrument=instrument, language=options["language"]
                )
            )
        self.stdout.write(f"wrote {out} ({instrument.fields.count()} fields)")

    def _translation_import(self, options: dict[str, Any]) -> None:
        instrument = _instrument(options["instrument"])
        path: Path = options["file"]
        try:
            count = translations.translation_import(
                instrument=instrument,
                language=options["language"],
                text=_read(path),
                source=options["source"],
            )
        except DictionaryRejected as exc:
            for problem in exc.problems:
                self.stderr.write(f"{path}: {problem}")
            raise CommandError(
                f"{len(exc.problems)} problem(s) in {path}; nothing was imported."
            ) from exc
        self.stdout.write(
            f"imported {options['language']} wording of {instrument.code} ({count} fields)"
        )


def _read(path: Path, encoding: str | None = None) -> str:
    try:
        text, _used = decode_text(path.read_bytes(), encoding)
    except (OSError, UndecodableFile) as exc:
        raise CommandError(f"cannot read {path}: {exc}") from exc
    return text


def _instrument(code: str) -> Any:
    try:
        return services.instrument_get(code)
    except NotFound as exc:
        raise CommandError(exc.message) from exc
