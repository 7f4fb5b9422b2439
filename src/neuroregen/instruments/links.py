"""Parent links: single-use, expiring links through which a family answers a questionnaire.

Only the hash of a link's secret is stored; the signed token is shown once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from neuroregen.core.audit import stamp
from neuroregen.core.errors import InvalidTransition, ValidationFailed
from neuroregen.core.permissions import require
from neuroregen.core.roles import Capability
from neuroregen.core.time import end_of_site_day, to_site
from neuroregen.instruments import choices as c
from neuroregen.instruments.dictionaries import instrument_get
from neuroregen.instruments.errors import (
    LinkNotFound,
    LinkUnusable,
)
from neuroregen.instruments.models import (
    Instrument,
    Response,
    SurveyLink,
)
from neuroregen.instruments.queries import quality_check_response
from neuroregen.instruments.responses import _apply, _site_today, response_start
from neuroregen.participants import choices as pc
from neuroregen.participants.services import ensure_data_entry_allowed

LINK_SALT = "neuroregen.instruments.survey-link"
LINK_DAYS_DEFAULT = 7


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def link_create(
    *,
    user: Any,
    visit: Any,
    instrument: Instrument | str,
    language: str = "",
    valid_days: int = LINK_DAYS_DEFAULT,
) -> tuple[SurveyLink, str]:
    """Make a single-use link for the family to answer at this visit. Returns (link, token).

    The token is shown once; only its hash is kept. Earlier unused links of the same form stop
    working.
    """
    participant = visit.participant
    require(user, Capability.MANAGE_PARTICIPANT, participant.site)
    if isinstance(instrument, str):
        instrument = instrument_get(instrument)
    if not instrument.offered_to_families:
        raise ValidationFailed(
            _("%(title)s is not completed by families.") % {"title": instrument.title}
        )
    if not 1 <= valid_days <= 30:
        raise ValidationFailed(_("A link is valid for 1 to 30 days."), field="valid_days")
    ensure_data_entry_allowed(participant, pc.DataEntryKind.CONTACT)
    language = language or participant.preferred_language
    response = response_start(
        user=user,
        visit=visit,
        instrument=instrument,
        respondent=c.Respondent.PARENT,
        language=language,
        source=c.ResponseSource.PARENT_LINK,
    )
    if response.status != c.ResponseStatus.IN_PROGRESS:
        raise InvalidTransition(
            _("This form is already %(status)s.")
            % {"status": response.get_status_display().lower()}
        )
    now = timezone.now()
    for old in SurveyLink.objects.select_for_update(of=("self",)).filter(
        response=response, used_at__isnull=True, revoked_at__isnull=True
    ):
        old.revoked_at = now
        old.save()
    secret = secrets.token_urlsafe(32)
    link = SurveyLink.objects.create(
        response=response,
        token_hash=_hash(secret),
        language=language,
        created_by=user,
        # "Valid for N days" means to the end of day N on the site's calendar, whatever the
        # hour the link was made.
        expires_at=end_of_site_day(
            to_site(now, participant.site).date() + dt.timedelta(days=valid_days),
            participant.site,
        ),
    )
    token = signing.dumps({"l": link.pk, "s": secret}, salt=LINK_SALT, compress=False)
    return link, token


def link_resolve(token: str) -> SurveyLink:
    """The link a token opens, or :class:`LinkNotFound` / :class:`LinkUnusable`."""
    try:
        payload = signing.loads(token, salt=LINK_SALT)
        link_id, secret = int(payload["l"]), str(payload["s"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise LinkNotFound() from exc
    link = (
        SurveyLink.objects.select_related("response__instrument", "response__participant__site")
        .filter(pk=link_id)
        .first()
    )
    if link is None or not secrets.compare_digest(link.token_hash, _hash(secret)):
        raise LinkNotFound()
    if link.used_at is not None or link.response.status != c.ResponseStatus.IN_PROGRESS:
        raise LinkUnusable(
            _("This questionnaire has been submitted. Thank you — it cannot be opened again.")
        )
    if link.revoked_at is not None:
        raise LinkUnusable(_("This link has been replaced by a newer one."))
    if link.expires_at <= timezone.now():
        raise LinkUnusable(_("This link has expired. Please ask the study team for a new one."))
    return link


@transaction.atomic
def link_save(*, token: str, answers: dict[str, Any], submit: bool) -> Response:
    """A family saves answers through a link (partial) or submits them (locks the form)."""
    link = link_resolve(token)
    link = SurveyLink.objects.select_for_update(of=("self",)).get(pk=link.pk)
    response = (
        Response.objects.select_for_update(of=("self",))
        .select_related("instrument", "participant__site")
        .get(pk=link.response_id)
    )
    participant = response.participant
    today = _site_today(participant)
    ensure_data_entry_allowed(participant, pc.DataEntryKind.CONTACT, on=today)
    fields = list(response.instrument.fields.all())
    _apply(response, fields, answers, {}, finished=submit, codes_allowed=False)
    if submit:
        response.status = c.ResponseStatus.COMPLETE
        response.completed_at = timezone.now()
        link.used_at = response.completed_at
    if link.first_opened_at is None:
        link.first_opened_at = timezone.now()
    response.respondent = c.Respondent.PARENT
    response.language = link.language
    response.answered_on = today
    stamp(
        response,
        user=None,
        reason="submitted by the family through a link"
        if submit
        else "saved by the family through a link (partial)",
    )
    response.save()
    link.save()
    quality_check_response(response=response, user=None)
    return response


@transaction.atomic
def link_revoke(*, user: Any, link: SurveyLink) -> SurveyLink:
    require(user, Capability.MANAGE_PARTICIPANT, link.response.participant.site)
    if link.used_at is None and link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save()
    return link
