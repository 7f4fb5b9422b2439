"""``neuroregen restore FILE``: restore a backup and prove the result matches its manifest.

The file's SHA-256 (and the media archive's) is checked before anything is written. The backup
is restored into a staging copy beside the target (a new SQLite file, a new PostgreSQL
database); the row count and checksum of every table are recomputed from it and compared with
the manifest, and only a copy that matches takes the target's place. On any difference the
staging copy is dropped, the target is left unchanged, and the command fails naming the tables.
``--verify-only`` compares an existing database with the manifest without restoring.
The target is the configured database unless ``--target DATABASE_URL`` names another (for
example a fresh database for a restore drill). A target that already holds tables is refused
unless ``--force``; it is then kept aside under a dated name, printed at the end.

Uploaded files are unpacked into ``MEDIA_ROOT`` when restoring the configured database, or into
``--media-root DIR``; a drill into another database (``--target``) without ``--media-root``
only checks the archive against the manifest, so the live files are never touched.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dj_database_url
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from neuroregen.core import backup as b
from neuroregen.core import restore as r


class Command(BaseCommand):
    help = "Restore a backup made by `neuroregen backup` and verify every table."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("backup", help="Backup file; its .manifest.json must sit beside it.")
        parser.add_argument("--target", help="DATABASE_URL to restore into (default: settings).")
        parser.add_argument("--force", action="store_true", help="Replace a non-empty target.")
        parser.add_argument(
            "--verify-only", action="store_true", help="Only compare the target with the manifest."
        )
        parser.add_argument("--media-root", help="Where to restore uploaded files (see above).")

    def handle(self, *args: Any, **options: Any) -> None:
        backup = Path(options["backup"])
        manifest_file = b.manifest_path(backup)
        if not backup.is_file() or not manifest_file.is_file():
            raise CommandError(f"Need both {backup} and {manifest_file}.")
        manifest = b.Manifest.load(manifest_file)
        target = (
            dj_database_url.parse(options["target"])
            if options["target"]
            else connections["default"].settings_dict
        )
        engine = {
            "django.db.backends.sqlite3": "sqlite",
            "django.db.backends.postgresql": "postgresql",
        }.get(target["ENGINE"])
        if engine != manifest.engine:
            raise CommandError(f"A {manifest.engine} backup cannot be restored into {engine}.")
        if options["verify_only"]:
            self._verify(manifest, engine, target, backup, options)
            return
        try:
            if b.file_sha256(backup) != manifest.file_sha256:
                raise b.BackupError(
                    f"{backup} does not match the checksum in its manifest: damaged or altered"
                )
            media_root = self._media_root(options)
            if manifest.media is not None:
                # Checked before the database is touched, so a bad archive changes nothing.
                archive_problems = b.media_check_archive(
                    backup.with_name(manifest.media["archive"]), manifest.media
                )
                if archive_problems:
                    raise b.BackupError("; ".join(archive_problems))
            if not options["target"]:
                connections["default"].close()
            if engine == "sqlite":
                restored = r.sqlite_restore_verified(
                    backup, Path(target["NAME"]), manifest.tables, force=options["force"]
                )
            else:
                restored = r.pg_restore_verified(
                    backup,
                    b.PgTarget.from_settings(target),
                    manifest.tables,
                    force=options["force"],
                )
        except r.VerificationFailed as error:
            raise CommandError(
                "The restored copy does NOT match the backup manifest; it was discarded and "
                f"{_name(target)} was left unchanged:\n  " + "\n  ".join(error.problems)
            ) from error
        except b.BackupError as error:
            raise CommandError(f"{error}\n{_name(target)} was left unchanged.") from error
        media_note = ""
        if manifest.media is not None:
            media_problems, media_note = self._media(backup, manifest.media, media_root, options)
            if media_problems:
                raise CommandError(
                    "The database was restored and verified, but the uploaded files do NOT "
                    "match the manifest:\n  " + "\n  ".join(media_problems)
                )
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored and verified: {restored.tables} tables, {manifest.total_rows} rows, "
                "every checksum matches." + media_note
            )
        )
        if restored.kept_aside:
            self.stdout.write(
                f"The database it replaced is kept as {restored.kept_aside}; delete it once "
                "it is no longer needed."
            )

    def _verify(
        self, manifest: b.Manifest, engine: str, target: Any, backup: Path, options: Any
    ) -> None:
        try:
            actual = (
                b.sqlite_digests(Path(target["NAME"]))
                if engine == "sqlite"
                else b.pg_digests(b.PgTarget.from_settings(target))
            )
        except b.BackupError as error:
            raise CommandError(str(error)) from error
        problems = b.compare(manifest.tables, actual)
        media_note = ""
        if manifest.media is not None:
            media_problems, media_note = self._media(
                backup, manifest.media, self._media_root(options), options
            )
            problems += media_problems
        if problems:
            raise CommandError(
                "The database does NOT match the backup manifest:\n  " + "\n  ".join(problems)
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Verified: {len(actual)} tables, {manifest.total_rows} rows, "
                "every checksum matches." + media_note
            )
        )

    def _media_root(self, options: dict[str, Any]) -> Any:
        return options["media_root"] or (None if options["target"] else settings.MEDIA_ROOT)

    def _media(
        self, backup: Path, media: dict[str, Any], root: Any, options: dict[str, Any]
    ) -> tuple[list[str], str]:
        archive = backup.with_name(media["archive"])
        count = len(media["files"])
        try:
            if options["verify_only"]:
                found = b.media_digests(Path(root)) if root else None
                if found is None:
                    return b.media_check_archive(archive, media), f" Media archive: {count} files."
                return b.media_compare(media["files"], found), f" Uploaded files: {count} match."
            if root is None:
                problems = b.media_check_archive(archive, media)
                return problems, (
                    f" Media archive checked ({count} files), not unpacked: give --media-root."
                )
            return b.media_restore(archive, media, Path(root)), (
                f" Uploaded files: {count} restored into {root}."
            )
        except b.BackupError as error:
            raise CommandError(str(error)) from error


def _name(target: Any) -> str:
    return f"database {target['NAME']}"
