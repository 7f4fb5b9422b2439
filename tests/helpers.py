"""Builders for tests: real services, realistic values."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

from neuroregen.core.models import Site, User
from neuroregen.core.roles import Role
from neuroregen.core.services import membership_grant
from neuroregen.core.time import site_today
from neuroregen.participants import services as ps
from neuroregen.participants.models import ConsentDocument, Participant

PASSWORD = "correct-horse-battery-staple-42"
#: Site A's zone (conftest's ``site_a``): its date runs ahead of UTC from 22:00 UTC.
SITE_A_ZONE = "Europe/Kyiv"
_counter = itertools.count(1)


def make_user(role: Role, site: Site | None, username: str | None = None) -> User:
    username = username or f"{role.value}-{next(_counter)}"
    user = User.objects.create_user(username=username, password=PASSWORD, first_name=username)
    membership_grant(user=user, role=role, site=site)
    return user


def site_a_today() -> dt.date:
    """Today on site A's calendar: what its staff type as "today"."""
    return site_today(SITE_A_ZONE)


def identity(**overrides: Any) -> dict[str, Any]:
    n = next(_counter)
    values = {
        "given_name": "Test",
        "family_name": f"Child-{n}",
        "date_of_birth": site_today("UTC") - dt.timedelta(days=365 * 5 + 40),
        "guardian_name": "Test Guardian",
        "guardian_relationship": "mother",
        "guardian_phone": "+000 555 0101",
        "guardian_email": "guardian@example.invalid",
    }
    values.update(overrides)
    return values


def research(**overrides: Any) -> dict[str, Any]:
    values = {
        "sex": "M",
        "country": "UA",
        "preferred_language": "uk",
        "dsm5_severity": 2,
        "diagnostic_instrument": "ados2",
        "genetic_finding": "none",
        "therapy_hours_per_week": Decimal("10"),
    }
    values.update(overrides)
    return values


def screen(
    user: User,
    site: Site,
    *,
    identity_overrides: dict | None = None,
    research_overrides: dict | None = None,
) -> Participant:
    return ps.participant_screen(
        user=user,
        site=site,
        identity=identity(**(identity_overrides or {})),
        research=research(**(research_overrides or {})),
    )


def consent_document(kind: str = "guardian_consent", language: str = "en") -> ConsentDocument:
    doc, _ = ConsentDocument.objects.get_or_create(
        kind=kind,
        version="1.0",
        language=language,
        defaults={"title": "Test form", "effective_from": dt.date(2010, 1, 1)},
    )
    return doc


def enrolled(user: User, site: Site, **kwargs: Any) -> Participant:
    participant = screen(user, site, **kwargs)
    # Signed yesterday on the site's calendar, so that events tests date "a few hours ago" never
    # fall before consent in the first hours after the site's midnight.
    signed_on = site_today(site) - dt.timedelta(days=1)
    ps.consent_record(
        user=user,
        participant=participant,
        document=consent_document(),
        signed_on=signed_on,
        signed_by_relationship="mother",
    )
    if ps.assent_required(participant, signed_on):
        ps.consent_record(
            user=user,
            participant=participant,
            document=consent_document("child_assent"),
            signed_on=signed_on,
            signed_by_relationship="child",
        )
    return ps.participant_enrol(user=user, participant=participant)
