"""Freeze the reference SD of every measure of a protocol at data lock.

    neuroregen freeze_reference_sds NR-CELL-01 1.0 --user admin --reason "data lock"

Reliable change then uses these numbers for every viewer and every family report until they are
frozen again (each change kept in the record's history with its reason).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from neuroregen.core.errors import DomainError
from neuroregen.core.models import User
from neuroregen.evidence.reference_sd import reference_sd_freeze
from neuroregen.protocols.models import Protocol


class Command(BaseCommand):
    help = "Freeze the reference SDs of reliable change for one protocol version (data lock)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code", help="protocol code, e.g. NR-CELL-01")
        parser.add_argument("protocol_version", help="protocol version, e.g. 1.0")
        parser.add_argument("--user", required=True, help="username of the acting administrator")
        parser.add_argument("--reason", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        protocol = Protocol.objects.filter(
            code=options["code"], version=options["protocol_version"]
        ).first()
        if protocol is None:
            raise CommandError(f"no protocol {options['code']} v{options['protocol_version']}")
        user = User.objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {options['user']!r}")
        try:
            records = reference_sd_freeze(user=user, protocol=protocol, reason=options["reason"])
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        for r in records:
            n = f", n = {r.n}" if r.n is not None else ""
            self.stdout.write(f"{r.measure}: SD {r.sd:.4g} ({r.get_source_display()}{n})")
        self.stdout.write(f"Froze {len(records)} reference SDs of {protocol}.")
