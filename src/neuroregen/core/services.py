"""Writes of the core app: sites, memberships, electronic signatures."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.db import models, transaction
from django.utils.translation import gettext as _

from neuroregen.core.audit import stamp
from neuroregen.core.errors import SignatureRejected, ValidationFailed
from neuroregen.core.models import ElectronicSignature, Site, SiteMembership, User
from neuroregen.core.roles import Role
from neuroregen.core.time import is_time_zone


@transaction.atomic
def site_create(
    *, code: str, name: str, country: str, time_zone: str = "UTC", is_synthetic: bool = False
) -> Site:
    if Site.objects.filter(code=code).exists():
        raise ValidationFailed(f"A site with code {code} already exists.", field="code")
    if not is_time_zone(time_zone):
        raise ValidationFailed(
            _(
                "“%(value)s” is not an IANA time zone. Use a name such as Europe/Kyiv, "
                "America/New_York or UTC."
            )
            % {"value": time_zone},
            field="time_zone",
        )
    return Site.objects.create(
        code=code,
        name=name,
        country=country.upper(),
        time_zone=time_zone,
        is_synthetic=is_synthetic,
    )


@transaction.atomic
def membership_grant(*, user: User, role: Role | str, site: Site | None) -> SiteMembership:
    if role == Role.FAMILY and site is None:
        raise ValidationFailed("A family account belongs to one site.", field="site")
    membership, _created = SiteMembership.objects.get_or_create(user=user, site=site, role=role)
    user.__dict__.pop("_nr_memberships", None)
    return membership


@transaction.atomic
def user_language_set(*, user: User, language: str) -> User:
    """The language the user's pages are shown in, from their next request on (and at sign-in)."""
    from django.conf import settings

    if language not in dict(settings.LANGUAGES):
        raise ValidationFailed(_("Choose one of the offered languages."), field="language")
    user.preferred_language = language
    user.save(update_fields=["preferred_language"])
    return user


def _record_state(record: models.Model) -> str:
    # The stored row (re-read, so in-memory types cannot differ) is what was signed; its digest
    # makes later changes detectable.
    stored = type(record)._base_manager.get(pk=record.pk)
    return serializers.serialize("json", [stored], sort_keys=True)


@transaction.atomic
def signature_create(
    *, user: User, password: str, meaning: str, record: models.Model
) -> ElectronicSignature:
    """Sign ``record``: the signer re-enters their password and states what the signature means.

    Raises :class:`SignatureRejected` for a wrong password (nothing is written) and
    :class:`ValidationFailed` when no meaning is given.
    """
    if not meaning or not meaning.strip():
        raise ValidationFailed("State the meaning of the signature.", field="meaning")
    if not user.is_active or not user.check_password(password):
        raise SignatureRejected()
    signature = ElectronicSignature(
        signer=user,
        signer_name=user.display_name(),
        meaning=meaning.strip(),
        content_type=ContentType.objects.get_for_model(record),
        object_id=str(record.pk),
        record_digest=ElectronicSignature.digest_of(_record_state(record)),
    )
    stamp(signature, user=user, reason=f"signed: {meaning.strip()}")
    signature.save()
    return signature


def signature_verify(signature: ElectronicSignature) -> bool:
    """True while the signed record is unchanged since signing."""
    record = signature.record
    if record is None:
        return False
    return signature.record_digest == ElectronicSignature.digest_of(_record_state(record))


def signatures_for(record: models.Model) -> Any:
    return ElectronicSignature.objects.filter(
        content_type=ContentType.objects.get_for_model(record), object_id=str(record.pk)
    )
