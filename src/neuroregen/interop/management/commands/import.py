"""``neuroregen import redcap|odm FILE --protocol P --user U``: all or nothing.

REDCap records name participants by study code, through ``--map FILE`` (record id → study
code), or are registered in screening with ``--create-participants --site CODE`` (see
:mod:`neuroregen.interop.record_links` for what a file can and cannot stand in for).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from neuroregen.core.checks import DATA_COMMAND_CHECKS
from neuroregen.core.errors import DomainError
from neuroregen.core.uploads import check_size, decode_text, safe_filename
from neuroregen.interop import services
from neuroregen.interop.csvsafe import write_csv
from neuroregen.interop.errors import ImportRejected
from neuroregen.interop.management.commands._common import acting_user
from neuroregen.interop.progress import ProgressBar
from neuroregen.interop.record_links import RecordLinks, parse_columns, read_map
from neuroregen.interop.records import Problem


class Command(BaseCommand):
    requires_system_checks = DATA_COMMAND_CHECKS  # see neuroregen.core.checks
    help = (
        "Import REDCap records CSV or CDISC ODM clinical data into existing definitions. The "
        "whole file is checked first; every problem is listed and nothing is written unless "
        "all is well. Re-importing the same file changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("format", choices=["redcap", "odm"])
        parser.add_argument("file", type=Path)
        parser.add_argument("--protocol", required=True)
        parser.add_argument("--user", default="", help="Account the changes are recorded as.")
        parser.add_argument("--encoding", default="", help="Force a text encoding (CSV).")
        parser.add_argument(
            "--map",
            type=Path,
            help="REDCap: CSV with a header, then 'record id,study code' per line.",
        )
        parser.add_argument(
            "--create-participants",
            action="store_true",
            help="REDCap: register records without a participant in screening at --site.",
        )
        parser.add_argument("--site", default="", help="Site code for --create-participants.")
        parser.add_argument(
            "--participant-column",
            action="append",
            default=[],
            metavar="FIELD=COLUMN",
            help="The column holding a participant field (default: the field's own name).",
        )
        parser.add_argument(
            "--write-map",
            type=Path,
            help="Write 'record_id,study_code' of the records matched by identity here.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = acting_user(options["user"])
        path: Path = options["file"]
        try:
            name = safe_filename(path.name)
            data = path.read_bytes()
            check_size(len(data))
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc}") from exc
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        links = self._links(options)
        bar = ProgressBar(self.stderr, f"import {path.name}")
        try:
            result = services.file_import(
                user=user,
                protocol=options["protocol"],
                fmt=options["format"],
                data=data,
                source_name=name,
                encoding=options["encoding"] or None,
                progress=bar,
                links=links,
            )
        except ImportRejected as exc:
            for problem in exc.problems:
                self.stderr.write(f"{path}: {problem}")
            raise CommandError(
                f"{len(exc.problems)} problem(s) in {path}; nothing was imported."
            ) from exc
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"{result.created} form(s) created, {result.updated} updated, "
            f"{result.unchanged} unchanged"
        )
        for record, code in result.registered:
            self.stdout.write(f"record {record}: registered in screening as {code}")
        if options["write_map"] and result.linked:
            rows = [[record, code] for record, code in sorted(result.linked.items())]
            options["write_map"].write_text(
                write_csv(["record_id", "study_code"], rows), encoding="utf-8", newline=""
            )

    def _links(self, options: dict[str, Any]) -> RecordLinks | None:
        if options["format"] != "redcap":
            if options["map"] or options["create_participants"]:
                raise CommandError("--map and --create-participants are for REDCap records")
            return None
        if options["create_participants"] and not options["site"]:
            raise CommandError("--create-participants needs --site CODE")
        if options["site"] and not options["create_participants"]:
            raise CommandError("--site is for --create-participants")
        try:
            columns = parse_columns(options["participant_column"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        mapping: dict[str, str] | None = None
        problems: list[Problem] = []
        if options["map"]:
            path: Path = options["map"]
            try:
                text = decode_text(path.read_bytes()).text
            except OSError as exc:
                raise CommandError(f"cannot read {path}: {exc}") from exc
            except DomainError as exc:
                raise CommandError(f"{path}: {exc.message}") from exc
            mapping, problems = read_map(text, name=path.name)
        return RecordLinks(
            mapping=mapping,
            map_problems=tuple(problems),
            create_at_site=options["site"] if options["create_participants"] else "",
            columns=columns,
        )
