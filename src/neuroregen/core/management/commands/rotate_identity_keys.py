"""Re-encrypt every identity field (and its history) under the newest key.

Rotation: put the new Fernet key first in NEUROREGEN_FIELD_KEYS, keep the old ones after it,
run this command, then remove the old keys. Rows are rewritten with raw SQL because this changes
the ciphertext, not the clinical data: no audit entry is due and ``save()`` must not run.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from neuroregen.core import crypto
from neuroregen.core.crypto import EncryptedTextField


def encrypted_columns() -> list[tuple[str, str, list[str]]]:
    """(table, primary-key column, encrypted columns) for every model with encrypted fields."""
    found = []
    for model in apps.get_models():
        columns = [
            f.column for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)
        ]
        if columns:
            found.append((model._meta.db_table, model._meta.pk.column, columns))
    return found


@transaction.atomic
def rotate_all() -> int:
    quote = connection.ops.quote_name
    rewritten = 0
    with connection.cursor() as cursor:
        for table, pk, columns in encrypted_columns():
            cursor.execute(
                f"SELECT {quote(pk)}, {', '.join(quote(c) for c in columns)} FROM {quote(table)}"  # noqa: S608 - names come from model metadata
            )
            for row in cursor.fetchall():
                values = [None if v is None else crypto.rotate(v) for v in row[1:]]
                assignments = ", ".join(f"{quote(c)} = %s" for c in columns)
                with connection.cursor() as writer:
                    writer.execute(
                        f"UPDATE {quote(table)} SET {assignments} WHERE {quote(pk)} = %s",  # noqa: S608
                        [*values, row[0]],
                    )
                rewritten += 1
    return rewritten


class Command(BaseCommand):
    help = "Re-encrypt identity fields under the first key in NEUROREGEN_FIELD_KEYS."

    def handle(self, *args: Any, **options: Any) -> None:
        count = rotate_all()
        self.stdout.write(f"Re-encrypted {count} rows under the primary key.")
