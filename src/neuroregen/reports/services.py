"""Writes of the reports app: family report lifecycle, family invitations, report jobs.

Lifecycle of a family report: ``family_report_draft`` (snapshot taken) → ``family_report_edit``
(the investigator's note; drafts only) → ``family_report_release`` (e-signature; frozen from
then on). A released report is corrected by ``family_report_correct``, which drafts a new
version superseding it; the old version stays readable until the correction is released.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from neuroregen.core.audit import stamp
from neuroregen.core.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from neuroregen.core.models import User
from neuroregen.core.permissions import require
from neuroregen.core.roles import Capability, Role
from neuroregen.core.services import membership_grant, signature_create
from neuroregen.participants.models import FamilyLink, Participant
from neuroregen.participants.services import family_link_create
from neuroregen.reports import choices as c
from neuroregen.reports.content import family_snapshot
from neuroregen.reports.errors import InvitationUnusable, ReportImmutable
from neuroregen.reports.models import FamilyInvitation, FamilyReport, ReportJob

INVITATION_SALT = "neuroregen.family-invitation"
INVITATION_DAYS = 7
RELEASE_MEANING = "I reviewed this progress report and release it to the family."


def _check_version(report: FamilyReport, expected_version: int | None) -> None:
    if expected_version is not None and report.row_version != expected_version:
        raise Conflict()


def _require_draft(report: FamilyReport) -> None:
    if report.status == c.ReportStatus.RELEASED:
        raise ReportImmutable()
    if report.status != c.ReportStatus.DRAFT:
        raise InvalidTransition()


@transaction.atomic
def family_report_draft(
    *,
    user: User,
    participant: Participant,
    phase: str,
    cutoff: dt.date | None = None,
    supersedes: FamilyReport | None = None,
    correction_reason: str = "",
) -> FamilyReport:
    """A new draft for the child and phase, with a fresh snapshot of the data."""
    require(user, Capability.MANAGE_PARTICIPANT, participant.site)
    if phase not in c.ReportPhase.values:
        raise ValidationFailed(_("Choose a follow-up phase."), field="phase")
    open_draft = FamilyReport.objects.filter(
        participant=participant, phase=phase, status=c.ReportStatus.DRAFT
    ).first()
    if open_draft is not None:
        raise Conflict(_("A draft for this phase already exists: review or discard it first."))
    content = family_snapshot(user=user, participant=participant, phase=phase, cutoff=cutoff)
    last = (
        FamilyReport.objects.filter(participant=participant, phase=phase)
        .order_by("-version")
        .first()
    )
    report = FamilyReport(
        participant=participant,
        site=participant.site,
        phase=phase,
        version=(last.version + 1) if last else 1,
        content=content,
        data_cutoff=dt.date.fromisoformat(content["cutoff"]),
        protocol_label=content["protocol"],
        synthetic=content["synthetic"],
        supersedes=supersedes,
        correction_reason=correction_reason,
        created_by=user,
    )
    stamp(report, user=user, reason="drafted")
    report.save()
    return report


@transaction.atomic
def family_report_edit(
    *,
    user: User,
    report: FamilyReport,
    clinician_note: str,
    reason: str,
    expected_version: int | None = None,
) -> FamilyReport:
    """Change the doctor's note of a draft (the numbers come from the snapshot only)."""
    report = FamilyReport.objects.select_for_update(of=("self",)).get(pk=report.pk)
    require(user, Capability.MANAGE_PARTICIPANT, report.site)
    _require_draft(report)
    _check_version(report, expected_version)
    if len(clinician_note) > 4000:
        raise ValidationFailed(_("Keep the note under 4000 characters."), field="clinician_note")
    report.clinician_note = clinician_note.strip()
    stamp(report, user=user, reason=reason or "")
    report.save()
    return report


@transaction.atomic
def family_report_refresh(*, user: User, report: FamilyReport, reason: str) -> FamilyReport:
    """Take a new snapshot for a draft (data were corrected or added since drafting)."""
    report = FamilyReport.objects.select_for_update(of=("self",)).get(pk=report.pk)
    require(user, Capability.MANAGE_PARTICIPANT, report.site)
    _require_draft(report)
    report.content = family_snapshot(user=user, participant=report.participant, phase=report.phase)
    report.data_cutoff = dt.date.fromisoformat(report.content["cutoff"])
    stamp(report, user=user, reason=reason or "")
    report.save()
    return report


@transaction.atomic
def family_report_discard(*, user: User, report: FamilyReport, reason: str) -> FamilyReport:
    """Set a draft aside (kept, never shown to the family)."""
    report = FamilyReport.objects.select_for_update(of=("self",)).get(pk=report.pk)
    require(user, Capability.MANAGE_PARTICIPANT, report.site)
    _require_draft(report)
    report.status = c.ReportStatus.WITHDRAWN
    stamp(report, user=user, reason=reason or "")
    report.save()
    return report


@transaction.atomic
def family_report_release(
    *,
    user: User,
    report: FamilyReport,
    password: str,
    expected_version: int | None = None,
) -> FamilyReport:
    """The investigator releases a reviewed draft to the family with an e-signature."""
    report = FamilyReport.objects.select_for_update(of=("self",)).get(pk=report.pk)
    require(user, Capability.SIGN_CLINICAL, report.site)
    _require_draft(report)
    _check_version(report, expected_version)
    if not user.check_password(password):
        # Checked before any write so a wrong password changes nothing.
        from neuroregen.core.errors import SignatureRejected

        raise SignatureRejected()
    report.status = c.ReportStatus.RELEASED
    report.released_at = timezone.now()
    report.released_by = user
    stamp(report, user=user, reason="released with electronic signature")
    report.save()
    signature_create(user=user, password=password, meaning=RELEASE_MEANING, record=report)
    return report


@transaction.atomic
def family_report_correct(*, user: User, report: FamilyReport, reason: str) -> FamilyReport:
    """Draft a corrected version of a released report; it supersedes the old one once released."""
    if not report.is_released:
        raise InvalidTransition(_("Only a released report is corrected; edit the draft instead."))
    if not reason.strip():
        raise ValidationFailed(_("Say what is being corrected."), field="reason")
    if hasattr(report, "superseded_by"):
        raise Conflict(_("This version has already been corrected."))
    return family_report_draft(
        user=user,
        participant=report.participant,
        phase=report.phase,
        supersedes=report,
        correction_reason=reason.strip(),
    )


# --- family accounts ----------------------------------------------------------------------


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _is_family_only(account: User) -> bool:
    if account.is_staff or account.is_superuser:
        return False
    roles = set(account.memberships.values_list("role", flat=True))
    return roles == {Role.FAMILY.value}


def _has_been_activated(account: User) -> bool:
    # Once its holder has set a password (or signed in), the account is theirs: no invitation
    # may reset it, whoever sends it.
    return account.is_active or account.has_usable_password() or account.last_login is not None


@transaction.atomic
def family_invite_create(
    *,
    user: User,
    participant: Participant,
    username: str,
    email: str = "",
    language: str = "",
    valid_days: int = INVITATION_DAYS,
) -> tuple[FamilyInvitation, str | None]:
    """Invite the child's guardian. Returns (invitation, token); the token is shown once.

    A new user name gets a family account, inactive until the guardian sets a password through
    the one-time link (the token). An existing family account never gets a password link: it
    gets a request to accept this child (``kind`` link, token None), which its holder accepts
    while signed in; until then nothing of the child is visible to it. Taking over an account
    by re-inviting it would otherwise open every child it is linked to, at any site.
    """
    require(user, Capability.MANAGE_PARTICIPANT, participant.site)
    username = username.strip()
    if not username:
        raise ValidationFailed(_("Choose a user name for the family."), field="username")
    if not 1 <= valid_days <= 30:
        raise ValidationFailed(_("An invitation is valid for 1 to 30 days."), field="valid_days")
    family = User.objects.select_for_update().filter(username=username).first()
    kind = c.InvitationKind.PASSWORD
    if family is None:
        family = User.objects.create_user(username=username, email=email.strip(), is_active=False)
        family.set_unusable_password()
        family.preferred_language = language or participant.preferred_language
        family.save()
    elif not _is_family_only(family):
        raise ValidationFailed(_("This user name is taken."), field="username")
    elif not family.family_links.filter(participant=participant).exists():
        kind = c.InvitationKind.LINK
    elif _has_been_activated(family):
        raise ValidationFailed(
            _(
                "This family account already has access to this child and signs in with its "
                "own password."
            ),
            field="username",
        )
    elif family.family_links.exclude(participant__site=participant.site).exists():
        # A lost link is re-issued only by the site that holds every child of the account.
        raise ValidationFailed(
            _(
                "This family account was also invited by another site: the family should "
                "use the link they received first, or accept this child after signing in."
            ),
            field="username",
        )
    now = timezone.now()
    open_invitations = FamilyInvitation.objects.select_for_update(of=("self",)).filter(
        user=family, kind=kind, used_at__isnull=True, revoked_at__isnull=True
    )
    if kind == c.InvitationKind.LINK:
        # Only this child's earlier requests are replaced; other sites' requests stand.
        open_invitations = open_invitations.filter(participant=participant)
    else:
        family_link_create(user=user, family_user=family, participant=participant)
    for old in open_invitations:
        old.revoked_at = now
        stamp(old, user=user, reason="replaced by a new invitation")
        old.save()
    secret = secrets.token_urlsafe(32)
    invitation = FamilyInvitation(
        kind=kind,
        user=family,
        participant=participant,
        site=participant.site,
        token_hash=_hash(secret),
        created_by=user,
        expires_at=now + dt.timedelta(days=valid_days),
    )
    stamp(invitation, user=user, reason=f"family invitation ({kind})")
    invitation.save()
    if kind == c.InvitationKind.LINK:
        return invitation, None
    token = signing.dumps({"i": invitation.pk, "s": secret}, salt=INVITATION_SALT)
    return invitation, token


def family_link_requests_open(*, user: User) -> Any:
    """Requests to link a child that wait for this account's answer."""
    return (
        FamilyInvitation.objects.filter(
            user=user,
            kind=c.InvitationKind.LINK,
            used_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .select_related("participant", "site")
        .order_by("created_at")
    )


@transaction.atomic
def family_link_request_respond(
    *, user: User, invitation_id: int, accept: bool
) -> FamilyInvitation:
    """The signed-in holder accepts (the child is linked) or declines a link request."""
    invitation = (
        FamilyInvitation.objects.select_for_update(of=("self",))
        .filter(pk=invitation_id, user=user, kind=c.InvitationKind.LINK)
        .first()
    )
    if invitation is None:
        raise NotFound()
    if (
        invitation.used_at is not None
        or invitation.revoked_at is not None
        or invitation.expires_at <= timezone.now()
    ):
        raise ValidationFailed(
            _("This request has already been answered or has expired."), field="action"
        )
    now = timezone.now()
    if accept:
        # The inviter's right to link was checked when the request was made; the holder's
        # consent is what completes it.
        membership_grant(user=user, role=Role.FAMILY, site=invitation.site)
        FamilyLink.objects.get_or_create(user=user, participant=invitation.participant)
        invitation.used_at = now
        reason = "link request accepted by the family"
    else:
        invitation.revoked_at = now
        reason = "link request declined by the family"
    stamp(invitation, user=user, reason=reason)
    invitation.save()
    return invitation


def invitation_resolve(token: str) -> FamilyInvitation:
    """The open invitation a token belongs to, or :class:`InvitationUnusable`."""
    try:
        payload = signing.loads(token, salt=INVITATION_SALT)
        pk, secret = int(payload["i"]), str(payload["s"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise InvitationUnusable() from exc
    invitation = FamilyInvitation.objects.select_related("user").filter(pk=pk).first()
    if (
        invitation is None
        or not secrets.compare_digest(invitation.token_hash, _hash(secret))
        or invitation.used_at is not None
        or invitation.revoked_at is not None
        or invitation.expires_at <= timezone.now()
        or invitation.kind != c.InvitationKind.PASSWORD
        # a link issued before the account was activated never resets its password afterwards
        or _has_been_activated(invitation.user)
    ):
        raise InvitationUnusable()
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, password: str, password_again: str) -> User:
    """Set the family's password (the site's strength rules apply) and use up the link."""
    invitation = invitation_resolve(token)
    invitation = FamilyInvitation.objects.select_for_update(of=("self",)).get(pk=invitation.pk)
    if invitation.used_at is not None:
        raise InvitationUnusable()
    if password != password_again:
        raise ValidationFailed(_("The two passwords differ."), field="password_again")
    family = invitation.user
    try:
        validate_password(password, user=family)
    except ValidationError as error:
        raise ValidationFailed(" ".join(error.messages), field="password") from error
    family.set_password(password)
    family.is_active = True
    family.save()
    invitation.used_at = timezone.now()
    stamp(invitation, user=family, reason="password set through the invitation")
    invitation.save()
    return family


def family_language_set(*, user: User, language: str) -> User:
    from neuroregen.core.services import user_language_set

    return user_language_set(user=user, language=language)


# --- report jobs ----------------------------------------------------------------------------


@transaction.atomic
def report_job_create(*, user: User, kind: str, protocol: Any, language: str) -> ReportJob:
    require(user, Capability.VIEW)
    if kind not in c.JobKind.values:
        raise ValidationFailed(_("Unknown report."), field="kind")
    return ReportJob.objects.create(
        kind=kind, protocol=protocol, requested_by=user, language=language
    )
