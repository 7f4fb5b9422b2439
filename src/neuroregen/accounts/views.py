"""Account administration pages under /users/ (administrators only) and the staff welcome
link. Views parse, call one service or selector, and render."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from neuroregen.accounts import forms, selectors, services
from neuroregen.accounts.models import AccountEvent
from neuroregen.core import access
from neuroregen.core.errors import DomainError
from neuroregen.core.http import AuthenticatedHttpRequest
from neuroregen.core.roles import Capability
from neuroregen.core.twofactor import has_confirmed_device


def _add_errors(form: Any, error: DomainError) -> None:
    errors = getattr(error, "errors", None) or {error.field: error.message}
    for field, message in errors.items():
        form.add_error(field if field in form.fields else None, message)


@login_required
@access.staff(Capability.MANAGE_SITE)
def user_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    users = selectors.manageable_users(user=request.user)
    return render(request, "accounts/list.html", {"users": users})


@login_required
@access.staff(Capability.MANAGE_SITE)
def user_invite(request: AuthenticatedHttpRequest) -> HttpResponse:
    selectors.admin_scope(request.user)
    form = forms.InviteForm(request.POST or None)
    link = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                _account, token = services.staff_invite(user=request.user, **data)
            except DomainError as error:
                _add_errors(form, error)
            else:
                uid, secret = token.split("/", 1)
                link = request.build_absolute_uri(reverse("accounts:welcome", args=[uid, secret]))
        if link is None:
            status = 422
    return render(request, "accounts/invite.html", {"form": form, "link": link}, status=status)


def _detail(
    request: AuthenticatedHttpRequest, target: Any, status: int = 200, **forms_: Any
) -> HttpResponse:
    context = {
        "target": target,
        "memberships": target.memberships.all(),
        "events": AccountEvent.objects.filter(target=target).select_related("actor")[:50],
        "enrolled": has_confirmed_device(target),
        "locked": selectors.is_locked(target),
        "failures": selectors.failed_sign_ins(target),
        "tokens_live": target.api_tokens.filter(revoked_at__isnull=True).count(),
        "role_form": forms_.get("role_form") or forms.RoleForm(target=target),
        "deactivate_form": forms_.get("deactivate_form") or forms.ReasonForm(prefix="deactivate"),
        "reset_form": forms_.get("reset_form") or forms.ReasonForm(prefix="reset"),
        "unlock_form": forms_.get("unlock_form") or forms.ReasonForm(prefix="unlock"),
    }
    return render(request, "accounts/detail.html", context, status=status)


@login_required
@access.staff(Capability.MANAGE_SITE)
def user_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _detail(request, selectors.managed_user(user=request.user, pk=pk))


@login_required
@require_POST
@access.staff(Capability.MANAGE_SITE)
def user_role(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    target = selectors.managed_user(user=request.user, pk=pk)
    form = forms.RoleForm(request.POST, target=target)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.role_change(
                user=request.user,
                target=target,
                membership_id=data["membership"],
                role=data["role"],
                site=data["site"],
                reason=data["reason"],
                password=data["password"],
            )
        except DomainError as error:
            _add_errors(form, error)
            return _detail(request, target, status=error.status, role_form=form)
        messages.success(request, _("The role was changed and signed."))
        return redirect("accounts:detail", pk=target.pk)
    return _detail(request, target, status=422, role_form=form)


def _reason_action(
    prefix: str, service: Callable[..., Any], done: Any
) -> Callable[[AuthenticatedHttpRequest, int], HttpResponse]:
    @login_required
    @require_POST
    @access.staff(Capability.MANAGE_SITE)
    def view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
        target = selectors.managed_user(user=request.user, pk=pk)
        # The tests and scripts may post a bare "reason"; the page posts the prefixed field.
        data = request.POST.copy()
        if f"{prefix}-reason" not in data and "reason" in data:
            data[f"{prefix}-reason"] = request.POST.get("reason", "")
        form = forms.ReasonForm(data, prefix=prefix)
        form.is_valid()
        try:
            service(user=request.user, target=target, reason=form.cleaned_data.get("reason", ""))
        except DomainError as error:
            _add_errors(form, error)
            return _detail(request, target, status=error.status, **{f"{prefix}_form": form})
        messages.success(request, str(done))
        return redirect("accounts:detail", pk=target.pk)

    view.__name__ = f"user_{prefix}"
    return view


user_deactivate = _reason_action(
    "deactivate", services.account_deactivate, gettext_lazy("The account was deactivated.")
)
user_reset_2fa = _reason_action(
    "reset",
    services.two_factor_reset,
    gettext_lazy("Two-factor sign-in was reset; API tokens were revoked."),
)
user_unlock = _reason_action(
    "unlock", services.account_unlock, gettext_lazy("The account was unlocked.")
)


@access.public
def welcome(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """The staff welcome link: the new account's holder sets a password, then signs in."""
    services.welcome_resolve(uidb64, token)  # refuses a used or expired link at once
    form = forms.PasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.welcome_set_password(uidb64=uidb64, token=token, **form.cleaned_data)
        except DomainError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Your password is set. Sign in to continue."))
            return redirect("login")
    status = 422 if form.errors else 200
    return render(request, "accounts/welcome.html", {"form": form}, status=status)
