"""Load the labelled synthetic demo cohort and one demo account per role; print credentials."""

from __future__ import annotations

import importlib
import random
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from neuroregen.core.models import User
from neuroregen.core.roles import Role
from neuroregen.core.services import membership_grant
from neuroregen.participants.models import FamilyLink, Participant
from neuroregen.synthetic.cohort import build_cohort

DEMO_PASSWORD_SUFFIX = "-demo-2026!"

# Each app's synthetic builder, in dependency order: protocols (assignments, day 0, visits)
# before products, instruments and safety, which attach to visits and administrations.
POPULATE = ("protocols", "products", "instruments", "safety", "reports")


def populate_modules(cohort: Any, *, seed: int, stdout: Any) -> None:
    for offset, name in enumerate(POPULATE, start=1):
        module = importlib.import_module(f"neuroregen.synthetic.{name}")
        summary = module.populate(cohort, random.Random(seed + offset))
        stdout.write(f"  synthetic {name}: {summary}")


class Command(BaseCommand):
    help = "Create the synthetic demo cohort and demo accounts (idempotent)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--participants", type=int, default=90)
        parser.add_argument("--sites", type=int, default=3)
        parser.add_argument("--seed", type=int, default=2026)

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        if not Participant.objects.exists():
            cohort = build_cohort(
                n_participants=options["participants"],
                n_sites=options["sites"],
                seed=options["seed"],
            )
            self.stdout.write(
                f"Built a SYNTHETIC cohort: {len(cohort.participants)} participants "
                f"at {len(cohort.sites)} sites (seed {options['seed']})."
            )
            populate_modules(cohort, seed=options["seed"], stdout=self.stdout)
        first_site = Participant.objects.order_by("site__code").first().site  # type: ignore[union-attr]
        rows = []
        for role in Role:
            username = f"demo-{role.value}"
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": "Demo",
                    "last_name": role.label.split(" (")[0],
                    "is_staff": role == Role.ADMINISTRATOR,
                    "is_superuser": role == Role.ADMINISTRATOR,
                },
            )
            password = f"{role.value}{DEMO_PASSWORD_SUFFIX}"
            if created:
                user.set_password(password)
                user.save()
            global_role = role in (Role.MONITOR, Role.ADMINISTRATOR, Role.STATISTICIAN)
            membership_grant(user=user, role=role, site=None if global_role else first_site)
            if role == Role.FAMILY:
                child = Participant.objects.filter(site=first_site, status="enrolled").first()
                if child is not None:
                    FamilyLink.objects.get_or_create(user=user, participant=child)
            scope = "all sites" if global_role else first_site.code
            rows.append((username, password, role.label, scope))
        self.stdout.write("\nDemo accounts (synthetic data only — never use these with real data):")
        for username, password, label, scope in rows:
            self.stdout.write(f"  {username:<20} {password:<28} {label} — {scope}")
