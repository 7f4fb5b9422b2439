"""Request bodies larger than the upload limit, refused with the application's own message.

Django's built-in caps (``DATA_UPLOAD_MAX_MEMORY_SIZE`` and friends) end in a bare
"Bad Request (400)". Here the declared size of a request is compared with
``settings.NEUROREGEN_MAX_UPLOAD_BYTES`` before anything reads the body, and an over-limit
request gets a page (or JSON for the API) that says how large it was and what the limit is.
Files between the limit and the request cap reach the view, whose
:func:`~neuroregen.core.uploads.check_size` puts the same message inline on the form.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from neuroregen.core.errors import DomainError
from neuroregen.core.middleware import domain_error_response
from neuroregen.core.uploads import human_size

# Room for the multipart boundaries and the ordinary fields sent along with a file, so that a
# file of exactly the limit is accepted.
FORM_OVERHEAD_BYTES = 256 * 2**10


class UploadTooLarge(DomainError):
    code = "upload_too_large"
    status = 413


def request_limit() -> int:
    """The largest request body accepted: the upload limit plus the form around the file."""
    return int(settings.NEUROREGEN_MAX_UPLOAD_BYTES) + FORM_OVERHEAD_BYTES


def too_large(size: int | None = None) -> UploadTooLarge:
    limit = human_size(int(settings.NEUROREGEN_MAX_UPLOAD_BYTES))
    if size is None:
        return UploadTooLarge(
            _("The upload is larger than the largest file accepted (%(limit)s).") % {"limit": limit}
        )
    return UploadTooLarge(
        _(
            "The upload is %(size)s; the largest file accepted is %(limit)s. Split it into "
            "smaller files or ask an administrator to raise the limit."
        )
        % {"size": human_size(size), "limit": limit}
    )


class UploadLimitMiddleware:
    """Refuses a request whose declared body is over the limit, before the body is read."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > request_limit():
            return domain_error_response(request, too_large(declared))
        return self.get_response(request)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """``handler400``: Django's request-size and field-count refusals, in words people read."""
    if isinstance(exception, RequestDataTooBig):
        return domain_error_response(request, too_large())
    if isinstance(exception, TooManyFieldsSent | TooManyFilesSent):
        error = DomainError(
            _("The form sent more fields or files than the server accepts at once.")
        )
        return domain_error_response(request, error)
    return domain_error_response(request, DomainError(_("The request could not be read.")))
