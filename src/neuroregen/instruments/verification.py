"""Verifying a complete form (REDCap's "Complete", 2): a reviewer confirms it against the source.

Verification changes no answer, so it asks for no reason for change; the audit trail records
who verified and when. It needs the ``verify_form`` capability at the child's site and a form
whose required items are all answered or coded. Changing a verified form's answers later sends
it back to complete (see ``services.response_save``).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from neuroregen.core.audit import stamp
from neuroregen.core.errors import InvalidTransition
from neuroregen.core.permissions import require
from neuroregen.core.roles import Capability
from neuroregen.instruments import choices as c
from neuroregen.instruments import completeness
from neuroregen.instruments.errors import FormIncomplete, ResponseConflict
from neuroregen.instruments.models import Response


@transaction.atomic
def response_verify(
    *, user: Any, response: Response, expected_version: int | None, note: str = ""
) -> Response:
    """Mark a complete form verified. Refused for a form that is not complete, and for a form
    changed since the reviewer opened it (``expected_version``)."""
    require(user, Capability.VERIFY_FORM, response.participant.site)
    response = (
        Response.objects.select_for_update(of=("self",))
        .select_related("instrument", "participant__site")
        .get(pk=response.pk)
    )
    if expected_version is not None and response.row_version != expected_version:
        raise ResponseConflict([], response.row_version)
    if response.status == c.ResponseStatus.VERIFIED:
        return response
    fields = list(response.instrument.fields.all())
    lacking = completeness.missing_required(fields, response.answers, response.missing)
    if lacking:
        raise FormIncomplete(
            [f.field_name for f in lacking],
            completeness.missing_messages(lacking, codes_allowed=True),
        )
    if response.status != c.ResponseStatus.COMPLETE:
        raise InvalidTransition(_("Only a complete form can be verified."))
    response.status = c.ResponseStatus.VERIFIED
    response.completed_at = response.completed_at or timezone.now()
    stamp(response, user=user, reason=f"verified: {note.strip()}" if note.strip() else "verified")
    response.save()
    return response
