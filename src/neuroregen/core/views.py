"""Account pages: personal API tokens."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from neuroregen.api.services import api_token_create, api_token_revoke
from neuroregen.core.errors import ValidationFailed
from neuroregen.core.http import AuthenticatedHttpRequest


@login_required
def api_tokens(request: AuthenticatedHttpRequest) -> HttpResponse:
    new_token = None
    if request.method == "POST":
        if "revoke" in request.POST:
            api_token_revoke(user=request.user, token_id=int(request.POST["revoke"]))
            messages.success(request, _("Token revoked."))
            return redirect("api_tokens")
        try:
            _row, new_token = api_token_create(user=request.user, name=request.POST.get("name", ""))
        except ValidationFailed as error:
            messages.error(request, error.message)
    return render(
        request,
        "core/api_tokens.html",
        {
            "tokens": request.user.api_tokens.all(),
            "new_token": new_token,
        },
    )
