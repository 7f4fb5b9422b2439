"""Writes of account administration. Each is one transaction, checks that the acting user
administers the account, and appends an :class:`AccountEvent` with who and why."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _

from neuroregen.accounts.choices import SITELESS_ROLES, STAFF_ROLES, AccountAction
from neuroregen.accounts.errors import WelcomeLinkUnusable
from neuroregen.accounts.models import AccountEvent
from neuroregen.accounts.selectors import admin_scope, managed_user
from neuroregen.core.audit import stamp
from neuroregen.core.errors import ValidationFailed
from neuroregen.core.models import Site, SiteMembership, User
from neuroregen.core.roles import Role
from neuroregen.core.services import signature_create
from neuroregen.core.signals import withdraw_credentials

ROLE_CHANGE_MEANING = "I authorise this change of role and site."


#: Django's ``UnicodeUsernameValidator`` rule (letters, digits, @ . + - _).
USERNAME_PATTERN = re.compile(r"[\w.@+-]+")


def _event(*, actor: User, target: User, action: str, reason: str, **details: Any) -> None:
    AccountEvent.objects.create(
        actor=actor, target=target, action=action, reason=reason.strip(), details=details
    )


def _reason_problem(reason: str) -> dict[str, str]:
    if not reason or not reason.strip():
        return {"reason": _("Give the reason for this change; it is kept in the audit trail.")}
    return {}


def _grant_problems(actor: User, role: str, site: Site | None) -> dict[str, str]:
    everywhere, site_ids = admin_scope(actor)
    errors: dict[str, str] = {}
    if role not in dict(STAFF_ROLES):
        errors["role"] = _(
            "Choose a staff role. Family accounts are invited from their child's page."
        )
    elif site is None and role not in SITELESS_ROLES:
        errors["site"] = _("This role works at one site: choose the site.")
    if (site is None and not everywhere) or (
        site is not None and not everywhere and site.pk not in site_ids
    ):
        errors.setdefault("site", _("You administer accounts only at your own sites."))
    return errors


@transaction.atomic
def staff_invite(
    *,
    user: User,
    username: str,
    role: str,
    site: Site | None,
    reason: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
) -> tuple[User, str]:
    """Create a staff account with its role and site; returns (account, welcome path token).

    The account has no password until its holder sets one through the welcome link
    (:func:`welcome_token`); the link stops working once a password is set.
    """
    username = username.strip()
    errors: dict[str, str] = {}
    if not username:
        errors["username"] = _("Choose a user name.")
    elif not USERNAME_PATTERN.fullmatch(username):
        # Django's own rule for user names: they appear in sign-in forms, logs and audit rows.
        errors["username"] = _(
            "A user name may contain only letters, digits and the characters @ . + - _."
        )
    elif User.objects.filter(username__iexact=username).exists():
        errors["username"] = _("This user name is taken.")
    errors.update(_grant_problems(user, role, site))
    errors.update(_reason_problem(reason))
    ValidationFailed.raise_for(errors)
    account = User(
        username=username,
        email=email.strip(),
        first_name=first_name.strip(),
        last_name=last_name.strip(),
    )
    account.set_unusable_password()
    stamp(account, user=user, reason=reason)
    account.save()
    membership = SiteMembership(user=account, site=site, role=role)
    stamp(membership, user=user, reason=reason)
    membership.save()
    _event(
        actor=user,
        target=account,
        action=AccountAction.INVITED,
        reason=reason,
        role=role,
        site=site.code if site else "*",
    )
    return account, welcome_token(account)


def welcome_token(account: User) -> str:
    """``<uid>/<token>`` for the welcome link; Django's token is void once a password is set."""
    uid = urlsafe_base64_encode(force_bytes(account.pk))
    return f"{uid}/{default_token_generator.make_token(account)}"


def welcome_resolve(uidb64: str, token: str) -> User:
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError) as exc:
        raise WelcomeLinkUnusable() from exc
    account = User.objects.filter(pk=pk, is_active=True).first()
    if (
        account is None
        or account.has_usable_password()
        or not default_token_generator.check_token(account, token)
    ):
        raise WelcomeLinkUnusable()
    return account


@transaction.atomic
def welcome_set_password(*, uidb64: str, token: str, password: str, password_again: str) -> User:
    account = welcome_resolve(uidb64, token)
    errors: dict[str, str] = {}
    if password != password_again:
        errors["password_again"] = _("The two passwords differ.")
    try:
        validate_password(password, user=account)
    except ValidationError as error:
        errors["password"] = " ".join(error.messages)
    ValidationFailed.raise_for(errors)
    account.set_password(password)
    stamp(account, user=account, reason="password set through the welcome link")
    account.save()
    _event(
        actor=account,
        target=account,
        action=AccountAction.PASSWORD_SET,
        reason="password set through the welcome link",
    )
    return account


@transaction.atomic
def role_change(
    *,
    user: User,
    target: User,
    membership_id: int,
    role: str,
    site: Site | None,
    reason: str,
    password: str,
) -> SiteMembership:
    """Change one membership's role and site, signed by the administrator (e-signature).

    A wrong password raises :class:`SignatureRejected` and the transaction leaves nothing.
    """
    target = managed_user(user=user, pk=target.pk)
    membership = SiteMembership.objects.filter(pk=membership_id, user=target).first()
    errors: dict[str, str] = {}
    if membership is None:
        errors["membership"] = _("Choose one of this account's roles.")
    elif membership.role == Role.FAMILY:
        errors["membership"] = _("Family links are managed from the child's page.")
    errors.update(_grant_problems(user, role, site))
    errors.update(_reason_problem(reason))
    if membership is not None and target.pk == user.pk and role != Role.ADMINISTRATOR:
        errors.setdefault("role", _("You cannot take your own administrator role away."))
    ValidationFailed.raise_for(errors)
    assert membership is not None  # noqa: S101 - checked above
    before = (membership.role, membership.site.code if membership.site else "*")
    if (
        SiteMembership.objects.filter(user=target, site=site, role=role)
        .exclude(pk=membership.pk)
        .exists()
    ):
        raise ValidationFailed(_("The account already has this role at this site."), field="role")
    membership.role = role
    membership.site = site
    stamp(membership, user=user, reason=reason)
    membership.save()
    signature_create(user=user, password=password, meaning=ROLE_CHANGE_MEANING, record=membership)
    _event(
        actor=user,
        target=target,
        action=AccountAction.ROLE_CHANGED,
        reason=reason,
        **{
            "from": before[0],
            "to": role,
            "site_from": before[1],
            "site_to": site.code if site else "*",
        },
    )
    return membership


@transaction.atomic
def account_deactivate(*, user: User, target: User, reason: str) -> User:
    """Stop the account from signing in (its sessions end on their next request) and revoke
    its API tokens. The account and everything it recorded stay."""
    target = managed_user(user=user, pk=target.pk)
    errors = _reason_problem(reason)
    if target.pk == user.pk:
        errors["account"] = _("You cannot deactivate your own account.")
    ValidationFailed.raise_for(errors)
    target.is_active = False
    stamp(target, user=user, reason=reason)
    target.save()
    revoked = withdraw_credentials(user=target, reason="account deactivated")
    _event(
        actor=user,
        target=target,
        action=AccountAction.DEACTIVATED,
        reason=reason,
        tokens_revoked=revoked,
    )
    return target


@transaction.atomic
def two_factor_reset(*, user: User, target: User, reason: str) -> User:
    """Remove the account's authenticator and recovery codes (it enrols again at its next
    sign-in) and revoke its API tokens."""
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    target = managed_user(user=user, pk=target.pk)
    ValidationFailed.raise_for(_reason_problem(reason))
    revoked = withdraw_credentials(user=target, reason="two-factor sign-in reset")
    devices = TOTPDevice.objects.filter(user=target).delete()[0]
    devices += StaticDevice.objects.filter(user=target).delete()[0]
    _event(
        actor=user,
        target=target,
        action=AccountAction.TWO_FACTOR_RESET,
        reason=reason,
        devices_removed=devices,
        tokens_revoked=revoked,
    )
    return target


@transaction.atomic
def account_unlock(*, user: User, target: User, reason: str) -> int:
    """Lift the sign-in lockout of the account (its failed attempts are cleared)."""
    from axes.utils import reset

    target = managed_user(user=user, pk=target.pk)
    ValidationFailed.raise_for(_reason_problem(reason))
    cleared = reset(username=target.username)
    _event(
        actor=user,
        target=target,
        action=AccountAction.UNLOCKED,
        reason=reason,
        attempts_cleared=cleared,
    )
    return cleared
