"""``neuroregen backup``: copy the database and write a manifest that proves the copy.

SQLite uses the online backup API (the app may keep running); PostgreSQL uses ``pg_dump`` of an
exported snapshot. Next to ``FILE`` goes ``FILE.manifest.json`` with the row count and SHA-256
of every table and of the file itself, and ``FILE.media.tar`` with the uploaded files
(``MEDIA_ROOT``) and their checksums; ``neuroregen restore`` checks all of them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from neuroregen.core import backup as b


class Command(BaseCommand):
    help = "Back up the database (SQLite online backup or pg_dump) with a verified manifest."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", "-o", help="Backup file (default: var/backups/...).")
        parser.add_argument("--database", default="default", help="Database alias.")

    def handle(self, *args: Any, **options: Any) -> None:
        connection = connections[options["database"]]
        vendor = connection.vendor
        suffix = {"sqlite": ".sqlite3", "postgresql": ".dump"}.get(vendor)
        if suffix is None:
            raise CommandError(f"Backups of {vendor} databases are not supported.")
        if options["output"]:
            output = Path(options["output"])
        else:
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
            output = Path(settings.VAR_DIR) / "backups" / f"neuroregen-{stamp}{suffix}"
        output.parent.mkdir(parents=True, exist_ok=True)
        try:
            if vendor == "sqlite":
                connection.ensure_connection()
                manifest = b.sqlite_backup(connection.connection, output)
            else:
                manifest = b.pg_backup(b.PgTarget.from_settings(connection.settings_dict), output)
            # After the database: stored files are write-once, so none the snapshot names is missed.
            media = b.media_backup(Path(settings.MEDIA_ROOT), b.media_archive_path(output))
        except b.BackupError as error:
            raise CommandError(str(error)) from error
        manifest = dataclasses.replace(manifest, media=media)
        b.manifest_path(output).write_text(manifest.to_json())
        self.stdout.write(
            self.style.SUCCESS(
                f"Backed up {len(manifest.tables)} tables, {manifest.total_rows} rows to {output}"
            )
        )
        if media is not None:
            self.stdout.write(f"Uploaded files: {len(media['files'])} in {media['archive']}")
        self.stdout.write(f"Manifest: {b.manifest_path(output)}")
