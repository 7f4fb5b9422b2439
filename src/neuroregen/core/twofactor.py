"""Two-factor sign-in: a TOTP authenticator app plus single-use recovery codes.

Staff must enrol before they reach any page (see :class:`neuroregen.core.security.
StaffTwoFactorMiddleware`); families may. A session counts as verified once a token from one of
the user's confirmed devices was accepted (``django_otp.login`` stores the device in the
session). Wrong tokens are throttled per device with exponential back-off by django-otp.
"""

from __future__ import annotations

import logging

import segno
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from neuroregen.core.errors import NotPermitted, ValidationFailed
from neuroregen.core.models import User
from neuroregen.core.staff import is_staff_account

log = logging.getLogger(__name__)

RECOVERY_CODE_COUNT = 10
AUTHENTICATOR_NAME = "authenticator"
RECOVERY_NAME = "recovery codes"


def has_confirmed_device(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def totp_enrolment_start(*, user: User) -> TOTPDevice:
    """The unconfirmed authenticator being enrolled; the same one on every reload of the page."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// URI as an inline SVG QR code (no image request, no inline script)."""
    return segno.make(device.config_url, error="m").svg_inline(scale=4, title=_("QR code"))


def _clean_token(token: str) -> str:
    return "".join(token.split()).lower()


@transaction.atomic
def totp_enrolment_confirm(*, user: User, token: str) -> list[str]:
    """Confirm the pending authenticator with a token from it; returns fresh recovery codes.

    A confirmed authenticator replaces any older one, so a lost phone is dealt with by enrolling
    the new one (after signing in with a recovery code).
    """
    device = (
        TOTPDevice.objects.select_for_update(of=("self",))
        .filter(user=user, confirmed=False)
        .order_by("pk")
    ).first()
    if device is None:
        raise ValidationFailed(_("Start the enrolment again: no authenticator is pending."))
    if not device.verify_token(_clean_token(token)):
        raise ValidationFailed(
            _("That code is not valid. Check the time on your phone and try the current code."),
            field="token",
        )
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    log.info("two-factor authenticator enrolled for user %s", user.pk)
    return recovery_codes_regenerate(user=user)


@transaction.atomic
def recovery_codes_regenerate(*, user: User) -> list[str]:
    """Replace the user's recovery codes; each works once. Shown to the user only now."""
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def two_factor_verify(*, request: HttpRequest, user: User, token: str) -> Device:
    """Check a token against the user's confirmed devices and mark the session verified."""
    token = _clean_token(token)
    matched: Device | None = None
    with transaction.atomic():
        for device in devices_for_user(user, confirmed=True, for_verify=True):
            if device.verify_token(token):
                matched = device
                break
    if matched is None:
        raise ValidationFailed(
            _("That code is not valid, or too many wrong codes were tried: wait and try again."),
            field="token",
        )
    otp_login(request, matched)
    if isinstance(matched, StaticDevice):
        log.warning("user %s signed in with a recovery code", user.pk)
    return matched


@transaction.atomic
def two_factor_disable(*, user: User) -> None:
    """Families may switch two-factor off again; staff may not."""
    if is_staff_account(user):
        raise NotPermitted(_("Two-factor sign-in is required for staff accounts."))
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()
