"""The user's own API tokens: create with access, apps and lifetime; list; revoke."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from neuroregen.api.choices import MAX_LIFETIME_DAYS
from neuroregen.api.forms import TokenForm
from neuroregen.api.services import (
    api_token_create,
    api_token_problems,
    api_token_revoke,
    two_factor_missing,
)
from neuroregen.core import access
from neuroregen.core.errors import DomainError, NotFound
from neuroregen.core.http import AuthenticatedHttpRequest


def _add_errors(form: TokenForm, errors: Mapping[Any, str]) -> None:
    for field, message in errors.items():
        target = field if field in form.fields else None
        if target is None or target not in form.errors:
            form.add_error(target, message)


@login_required
@access.staff()
def api_tokens(request: AuthenticatedHttpRequest) -> HttpResponse:
    new_token = None
    form = TokenForm()
    status = 200
    if request.method == "POST":
        if "revoke" in request.POST:
            try:
                token_id = int(request.POST["revoke"])
            except ValueError as exc:
                raise NotFound() from exc
            api_token_revoke(user=request.user, token_id=token_id)
            messages.success(request, _("Token revoked."))
            return redirect("api_tokens")
        form = TokenForm(request.POST)
        if form.is_valid():
            try:
                _row, new_token = api_token_create(user=request.user, **form.cleaned_data)
            except DomainError as error:
                _add_errors(form, getattr(error, "errors", {error.field: error.message}))
            else:
                form = TokenForm()
        else:
            # The fields that did parse are checked too, so every problem shows at once.
            parsed = {f: form.cleaned_data.get(f) for f in form.fields if f not in form.errors}
            _add_errors(form, api_token_problems(**{f: parsed.get(f) for f in form.fields}))
        if new_token is None:
            status = 422
    return render(
        request,
        "core/api_tokens.html",
        {
            "tokens": request.user.api_tokens.all(),
            "new_token": new_token,
            "form": form,
            "max_days": MAX_LIFETIME_DAYS,
            "two_factor_missing": two_factor_missing(request.user),
        },
        status=status,
    )
