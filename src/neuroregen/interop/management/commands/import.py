"""``neuroregen import redcap|odm FILE --protocol P --user U``: all or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from neuroregen.core.checks import DATA_COMMAND_CHECKS
from neuroregen.core.errors import DomainError
from neuroregen.core.uploads import check_size, safe_filename
from neuroregen.interop import services
from neuroregen.interop.errors import ImportRejected
from neuroregen.interop.management.commands._common import acting_user
from neuroregen.interop.progress import ProgressBar


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
