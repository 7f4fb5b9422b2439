"""``neuroregen export redcap|tidy|odm|sdtm|fhir|nda --protocol P --out DIR --user U``.

Identity (``--include-identity``) needs an administrator and ``--reason``; every export is
recorded (:func:`~neuroregen.interop.export_services.export_run`, as the export page does).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from neuroregen.core.checks import DATA_COMMAND_CHECKS
from neuroregen.core.errors import DomainError
from neuroregen.interop.dataset import FHIR_VERSIONS, ExportOptions
from neuroregen.interop.export_services import export_run
from neuroregen.interop.exports import FORMATS
from neuroregen.interop.management.commands._common import acting_user
from neuroregen.interop.models import ExportChannel
from neuroregen.interop.progress import ProgressBar


class Command(BaseCommand):
    requires_system_checks = DATA_COMMAND_CHECKS  # see neuroregen.core.checks
    help = (
        "Export a protocol's data (pseudonymous unless an administrator asks for identity): "
        "REDCap records, tidy long CSV, CDISC ODM 1.3.2, SDTM XPT, FHIR R4/R4B/R5 bundle, NDA CSV."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("format", choices=sorted(FORMATS))
        parser.add_argument("--protocol", required=True, help="Protocol code, e.g. NR-CELL-01.")
        parser.add_argument("--out", type=Path, required=True, help="Folder for the files.")
        parser.add_argument("--user", default="", help="Account whose access applies.")
        parser.add_argument("--flat", action="store_true", help="REDCap: classic, not events.")
        parser.add_argument(
            "--project",
            action="store_true",
            help="REDCap: a project XML (metadata, events, arms, missing-data codes and data).",
        )
        parser.add_argument(
            "--shift-dates", action="store_true", help="Shift each child's dates consistently."
        )
        parser.add_argument(
            "--include-identity",
            action="store_true",
            help="Administrators only: add names and birth dates where the format has a place.",
        )
        parser.add_argument(
            "--reason", default="", help="Why identity must leave (required with identity)."
        )
        parser.add_argument(
            "--fhir-version", choices=FHIR_VERSIONS, default="r4", help="FHIR: r4 (default)."
        )
        parser.add_argument(
            "--allow-missing-guid",
            action="store_true",
            help="NDA: write PRESUBMISSION_ files instead of refusing children without a GUID.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = acting_user(options["user"])
        out: Path = options["out"]
        out.mkdir(parents=True, exist_ok=True)
        bar = ProgressBar(self.stderr, f"export {options['format']}")
        bar(0, 2)
        try:
            result = export_run(
                user=user,
                protocol=options["protocol"],
                fmt=options["format"],
                out=out,
                options=ExportOptions(
                    shift_dates=options["shift_dates"],
                    include_identity=options["include_identity"],
                    fhir_version=options["fhir_version"],
                    allow_missing_guid=options["allow_missing_guid"],
                ),
                flat=options["flat"],
                project=options["project"],
                reason=options["reason"],
                channel=ExportChannel.COMMAND,
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        bar(2, 2)
        for path in result.paths:
            self.stdout.write(f"wrote {path}")
        self.stdout.write(f"{result.participants} participant(s)")
        for message in result.messages:
            self.stdout.write(self.style.WARNING(f"note: {message}"))
