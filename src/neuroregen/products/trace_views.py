"""Pages that trace a product: its label, the scan look-up, the look-back from a lot to its
recipients, a participant's products and one administration.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from neuroregen.core import access
from neuroregen.core.errors import DomainError, NotFound
from neuroregen.core.http import AuthenticatedHttpRequest
from neuroregen.core.permissions import has_capability
from neuroregen.core.roles import Capability
from neuroregen.core.time import format_at, to_site
from neuroregen.participants import selectors as participant_selectors
from neuroregen.products import labels, selectors


@login_required
@access.staff()
def label(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    kind, obj = selectors.resolve_code(user=request.user, scanned=code)
    lines: list[tuple[str, str]] = []
    warning = ""
    lot = obj.lot if kind == "container" else obj if kind == "lot" else None
    if lot is not None:
        lines = [
            (_("Product"), lot.get_product_type_display()),
            (_("Lot"), lot.code),
            (_("Expires"), format_at(lot.expires_at, lot.site)),
            (_("Storage"), lot.get_storage_display()),
        ]
        if kind == "container":
            lines.insert(0, (_("Volume"), f"{obj.volume_ml} mL"))
        if lot.participant_id:
            lines.append((_("Participant"), lot.participant.study_code))
            warning = _("FOR AUTOLOGOUS USE ONLY")
    elif kind == "source":
        lines = [
            (_("Material"), obj.get_kind_display()),
            (_("Collected"), f"{to_site(obj.collected_at, obj.site):%Y-%m-%d}"),
        ]
        if obj.participant_id:
            lines.append((_("Participant"), obj.participant.study_code))
            warning = _("FOR AUTOLOGOUS USE ONLY")
    elif kind == "line":
        lines = [(_("Clone"), obj.clone), (_("Passage"), str(obj.passage))]
    title = {
        "container": _("Dose container"),
        "lot": _("Product lot"),
        "source": _("Source material"),
        "line": _("iPSC line"),
        "donor": _("Donor"),
        "participant": _("Participant"),
        "administration": _("Administration"),
    }[kind]
    code_text = obj.study_code if kind == "participant" else obj.code
    return render(
        request,
        "products/label.html",
        {
            "label": labels.Label(
                code=code_text, title=str(title), lines=lines, warning=str(warning)
            ),
        },
    )


@login_required
@access.staff()
def scan(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Where a scanned code leads."""
    scanned = request.GET.get("code", "")
    try:
        kind, obj = selectors.resolve_code(user=request.user, scanned=scanned)
    except DomainError as error:
        messages.error(
            request,
            error.message
            if error.status != 404
            else _("No record with code %(code)s is visible to you.") % {"code": scanned},
        )
        return redirect("products:lot_list")
    if kind == "participant":
        return redirect("products:participant_products", study_code=obj.study_code)
    if kind == "container":
        return redirect(reverse("products:lot_detail", args=[obj.lot.code]) + f"#{obj.code}")
    if kind == "administration":
        return redirect("products:administration_detail", code=obj.code)
    if kind == "lot":
        return redirect("products:lot_detail", code=obj.code)
    return redirect("products:lookback", code=obj.code)


@login_required
@access.staff()
def lookback(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """Look-back from a lot, a source material or a donor."""
    kind, obj = selectors.resolve_code(user=request.user, scanned=code)
    if kind not in ("lot", "source", "donor"):
        raise NotFound()
    key = {"lot": {"lot": obj}, "source": {"source": obj}, "donor": {"donor": obj}}[kind]
    lots = selectors.lots_from(**key).filter(pk__in=selectors.visible_lots(request.user))
    lot = obj if kind == "lot" else None
    return render(
        request,
        "products/lookback.html",
        {
            "kind": kind,
            "obj": obj,
            "lots": lots,
            "administrations": selectors.lookback_administrations(user=request.user, **key),
            "by_site": selectors.lookback_by_site(**key),
            "contacts": selectors.recall_contacts(user=request.user, lot=lot) if lot else [],
            "outstanding": selectors.containers_outstanding(user=request.user, lot=lot)
            if lot
            else [],
        },
    )


@login_required
@access.staff()
def participant_products(request: AuthenticatedHttpRequest, study_code: str) -> HttpResponse:
    participant = participant_selectors.participant_get(user=request.user, study_code=study_code)
    return render(
        request,
        "products/participant.html",
        {
            "p": participant,
            "administrations": selectors.participant_administrations(
                user=request.user, participant=participant
            ),
            "lots": selectors.visible_lots(request.user).filter(participant=participant),
            "compat": (
                selectors.compatibility(user=request.user, participant=participant)
                if has_capability(request.user, Capability.VIEW_DONOR, participant.site)
                else None
            ),
            "can_administer": has_capability(
                request.user, Capability.ADMINISTER_PRODUCT, participant.site
            ),
            "can_lab": has_capability(request.user, Capability.LAB_WRITE, participant.site),
        },
    )


@login_required
@access.staff()
def administration_detail(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    from neuroregen.products.models import Administration

    administration = (
        Administration.objects.for_user(request.user)
        .select_related("participant", "lot", "container", "arm", "administered_by")
        .filter(code=code)
        .first()
    )
    if administration is None:
        raise NotFound()
    return render(request, "products/administration.html", {"a": administration})
