"""Satisfying two-factor sign-in in tests, the way a person does: with a code from a device."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice


def confirmed_totp_device(user: Any) -> TOTPDevice:
    """The user's authenticator, enrolled and confirmed (made once per user)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    return device


def current_code(device: TOTPDevice) -> str:
    """The code the user's authenticator app shows right now."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def verify_session(client: Client, user: Any) -> TOTPDevice:
    """Mark the client's signed-in session as verified with the user's authenticator.

    Equivalent to passing /account/two-factor/verify/ (that page has its own tests); used by
    the site-isolation battery so every app's pages are checked with two-factor enforced.
    """
    device = confirmed_totp_device(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device
