"""Lab pages: register donors, collect source material, derive iPSC lines, start and fill lots,
write and activate QC specifications, record HLA typing and antibody screens.

Thin like ``views``: parse, call one service, render. Lab staff write (``lab_write`` at the
holding site, checked again by every service); other roles read what their sites may see.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from neuroregen.core import access
from neuroregen.core.errors import DomainError, NotFound, ValidationFailed
from neuroregen.core.http import AuthenticatedHttpRequest
from neuroregen.core.models import Site
from neuroregen.core.paging import page_of
from neuroregen.core.permissions import has_capability, require, sites_with
from neuroregen.core.roles import Capability
from neuroregen.core.time import now_at, site_today
from neuroregen.participants import selectors as participant_selectors
from neuroregen.products import choices as c
from neuroregen.products import lab_forms as f
from neuroregen.products import selectors, services, validators
from neuroregen.products.models import Donor, IPSCLine, QCSpecification, SourceMaterial
from neuroregen.products.views import _apply
from neuroregen.protocols.choices import ProductType, ProtocolStatus
from neuroregen.protocols.models import Arm


def _form_page(request: AuthenticatedHttpRequest, form: Any, title: str, **extra: Any) -> Any:
    return render(request, "products/form.html", {"form": form, "title": title, **extra})


def _lab_sites(user: Any) -> Any:
    return sites_with(user, Capability.LAB_WRITE).order_by("code")


# --- overview ------------------------------------------------------------------------------


@login_required
@access.staff()
def lab_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Donors, source material, iPSC lines and QC specifications the user may see."""
    user = request.user
    require(user, Capability.VIEW)
    return render(
        request,
        "products/lab.html",
        {
            "donors": page_of(
                request,
                Donor.objects.for_user(user)
                .select_related("site")
                .annotate(n_typings=Count("hla_typings", distinct=True))
                .order_by("-pk"),
                param="donors",
            ),
            "sources": page_of(
                request,
                SourceMaterial.objects.for_user(user)
                .select_related("site", "participant", "donor")
                .order_by("-collected_at", "-pk"),
                param="sources",
            ),
            "lines": page_of(
                request,
                IPSCLine.objects.for_user(user)
                .select_related("source", "site")
                .order_by("-derived_on", "code"),
                param="lines",
            ),
            "specifications": selectors.specifications(),
            "can_lab": has_capability(user, Capability.LAB_WRITE),
            "can_see_donor": has_capability(user, Capability.VIEW_DONOR),
        },
    )


# --- donors --------------------------------------------------------------------------------


@login_required
@access.staff(Capability.LAB_WRITE)
def donor_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    require(request.user, Capability.LAB_WRITE)
    sites = _lab_sites(request.user)
    first = sites.first()
    form = f.DonorForm(
        request.POST or None,
        sites=sites,
        initial={"eligibility_determined_on": site_today(first) if first else None},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            donor = services.donor_register(
                user=request.user,
                site=sites.get(code=data["site"]),
                eligibility=data["eligibility"],
                # A pending donor has no determination yet, whatever date the form carried.
                determined_on=None
                if data["eligibility"] == c.DonorEligibility.PENDING
                else data["eligibility_determined_on"],
                summary=data["summary"],
            )
        except DomainError as error:
            _apply(form, error)
        else:
            messages.success(request, _("Donor %(code)s registered.") % {"code": donor.code})
            return redirect(reverse("products:lab_home") + "#donors")
    return _form_page(request, form, _("Register a donor"))


@login_required
@access.staff(Capability.LAB_WRITE)
def donor_eligibility(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    donor = selectors.donor_get(user=request.user, code=code)
    require(request.user, Capability.LAB_WRITE, donor.site)
    form = f.EligibilityForm(
        request.POST or None,
        initial={
            "eligibility": donor.eligibility,
            "eligibility_determined_on": donor.eligibility_determined_on or site_today(donor),
            "summary": donor.eligibility_summary,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.donor_eligibility_determine(
                user=request.user,
                donor=donor,
                eligibility=data["eligibility"],
                determined_on=data["eligibility_determined_on"],
                summary=data["summary"],
                reason=data["reason"],
            )
        except DomainError as error:
            _apply(form, error)
        else:
            messages.success(
                request, _("Eligibility of donor %(code)s recorded.") % {"code": donor.code}
            )
            return redirect(reverse("products:lab_home") + "#donors")
    return _form_page(
        request, form, _("Donor eligibility determination: %(code)s") % {"code": donor.code}
    )


# --- source material and iPSC lines --------------------------------------------------------


def _source_origin(request: AuthenticatedHttpRequest, donors: Any) -> tuple[Any, Any, Site | None]:
    """The participant or donor named in the posted form, and the site whose clock it uses."""
    data = request.POST
    if data.get("origin") == "participant" and data.get("participant_code", "").strip():
        code = data["participant_code"].strip().upper()
        try:
            participant = participant_selectors.participant_get(user=request.user, study_code=code)
        except NotFound:
            return None, None, None
        return participant, None, participant.site
    if data.get("origin") == "donor":
        donor = next((d for d in donors if d.code == data.get("donor")), None)
        return None, donor, donor.site if donor else None
    return None, None, None


@login_required
@access.staff(Capability.LAB_WRITE)
def source_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    require(request.user, Capability.LAB_WRITE)
    donors = list(
        Donor.objects.for_user(request.user, Capability.LAB_WRITE)
        .select_related("site")
        .order_by("code")
    )
    participant, donor, site = (None, None, None)
    if request.method == "POST":
        participant, donor, site = _source_origin(request, donors)
    # Collection time is wall time where the material was collected: the origin's site once
    # known, else the user's only lab site.
    lab_sites = list(_lab_sites(request.user)[:2])
    site = site or (lab_sites[0] if len(lab_sites) == 1 else None)
    tz_name = site.time_zone if site else timezone.get_current_timezone_name()
    form = f.SourceForm(
        request.POST or None,
        donors=donors,
        tz_name=tz_name,
        initial={
            "origin": "participant",
            "participant_code": request.GET.get("participant", ""),
            "collected_at": now_at(tz_name),
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if data["origin"] == "participant" and participant is None:
            form.add_error(
                "participant_code",
                _("No participant with this study code at your sites."),
            )
        else:
            try:
                source = services.source_collect(
                    user=request.user,
                    kind=data["kind"],
                    collected_at=data["collected_at"],
                    participant=participant if data["origin"] == "participant" else None,
                    donor=donor if data["origin"] == "donor" else None,
                    quantity=data["quantity"],
                    external_reference=data["external_reference"],
                    notes=data["notes"],
                )
            except DomainError as error:
                _apply(form, error)
            else:
                messages.success(
                    request, _("Source material %(code)s registered.") % {"code": source.code}
                )
                return redirect(reverse("products:lab_home") + "#sources")
    return _form_page(request, form, _("Collect source material"))


@login_required
@access.staff(Capability.LAB_WRITE)
def line_create(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    source = selectors.source_get(user=request.user, code=code)
    require(request.user, Capability.LAB_WRITE, source.site)
    form = f.LineForm(request.POST or None, initial={"derived_on": site_today(source)})
    if request.method == "POST" and form.is_valid():
        try:
            line = services.ipsc_line_derive(user=request.user, source=source, **form.cleaned_data)
        except DomainError as error:
            _apply(form, error)
        else:
            messages.success(request, _("iPSC line %(code)s derived.") % {"code": line.code})
            return redirect(reverse("products:lab_home") + "#lines")
    return _form_page(request, form, _("Derive an iPSC line from %(code)s") % {"code": source.code})


# --- lots and containers -------------------------------------------------------------------


@login_required
@access.staff(Capability.LAB_WRITE)
def lot_create(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """Start a lot from a source (and one of its iPSC lines)."""
    source = selectors.source_get(user=request.user, code=code)
    require(request.user, Capability.LAB_WRITE, source.site)
    lines = list(source.ipsc_lines.order_by("code"))
    sites = _lab_sites(request.user)
    autologous = source.is_autologous
    arms = (
        []
        if autologous
        # a new lot is made for a protocol in use; draft and retired versions take no product
        else Arm.objects.filter(protocol__status=ProtocolStatus.ACTIVE)
        .exclude(product_type__in=ProductType.autologous())
        .select_related("protocol")
        .order_by("protocol__code", "code")
    )
    form = f.LotForm(
        request.POST or None,
        autologous=autologous,
        lines=lines,
        arms=arms,
        sites=sites,
        tz_name=source.site.time_zone,
        initial={
            "ipsc_line": request.GET.get("line", ""),
            "manufacture_started_on": now_at(source.site).date(),
            "concentration_unit": c.ConcentrationUnit.CELLS_PER_ML,
            "storage": c.StorageCondition.LN2_VAPOUR,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["ipsc_line"] = next((x for x in lines if x.code == data["ipsc_line"]), None)
        if not autologous:
            data["arm"] = next((a for a in arms if str(a.pk) == data["arm"]), None)
            data["site"] = sites.filter(code=data["site"]).first() if data["site"] else None
        try:
            lot = services.lot_create(user=request.user, source=source, **data)
        except DomainError as error:
            _apply(form, error)
        else:
            messages.success(request, _("Lot %(code)s started.") % {"code": lot.code})
            return redirect("products:lot_detail", code=lot.code)
    return _form_page(request, form, _("Start a product lot from %(code)s") % {"code": source.code})


@login_required
@access.staff(Capability.LAB_WRITE)
def lot_complete(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    lot = selectors.lot_get(user=request.user, code=code)
    require(request.user, Capability.LAB_WRITE, lot.site)
    form = f.CompleteForm(request.POST or None, initial={"manufactured_on": site_today(lot)})
    if request.method == "POST" and form.is_valid():
        try:
            services.lot_complete_manufacture(user=request.user, lot=lot, **form.cleaned_data)
        except DomainError as error:
            _apply(form, error)
        else:
            messages.success(request, _("Manufacture complete: the lot is in quarantine."))
            return redirect("products:lot_detail", code=lot.code)
    return _form_page(
        request, form, _("Complete manufacture of %(lot)s") % {"lot": lot.code}, lot=lot
    )


@login_required
@access.staff(Capability.LAB_WRITE)
def lot_fill(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    lot = selectors.lot_get(user=request.user, code=code)
    require(request.user, Capability.LAB_WRITE, lot.site)
    form = f.FillForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            made = services.containers_fill(
                user=request.user, lot=lot, volumes_ml=[Decimal(data["volume_ml"])] * data["count"]
            )
        except DomainError as error:
            if isinstance(error, ValidationFailed) and error.field == "volumes_ml":
                form.add_error("volume_ml", error.message)
            else:
                _apply(form, error)
        else:
            messages.success(
                request,
                ngettext(
                    "%(n)s container filled: %(codes)s",
                    "%(n)s containers filled: %(codes)s",
                    len(made),
                )
                % {"n": len(made), "codes": ", ".join(x.code for x in made)},
            )
            return redirect("products:lot_detail", code=lot.code)
    used = sum((x.volume_ml for x in lot.containers.all()), Decimal(0))
    return _form_page(
        request,
        form,
        _("Fill dose containers from %(lot)s (%(left)s of %(total)s mL unfilled)")
        % {"lot": lot.code, "left": lot.volume_ml - used, "total": lot.volume_ml},
        lot=lot,
    )


# --- QC specifications ---------------------------------------------------------------------


def _spec_initial(request: AuthenticatedHttpRequest) -> tuple[dict[str, Any], list[dict]]:
    """A new version starts as a copy of the one named by ``?from=`` (if any)."""
    base = QCSpecification.objects.filter(pk=request.GET.get("from") or 0).first()
    if base is None:
        return {}, [{"required": True}] * 4
    head = {"product_type": base.product_type, "notes": base.notes}
    rows = [
        {
            "test_code": i.test_code,
            "name": i.name,
            "method": i.method,
            "criterion": i.criterion,
            "lower": i.lower,
            "upper": i.upper,
            "unit": i.unit,
            "required": i.required,
        }
        for i in base.items.all()
    ]
    return head, [*rows, {"required": True}]


@login_required
@access.staff(Capability.LAB_WRITE)
def spec_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    require(request.user, Capability.LAB_WRITE)
    head, rows = _spec_initial(request)
    form = f.SpecForm(request.POST or None, initial=head)
    items = f.SpecItemFormSet(request.POST or None, prefix="items", initial=rows)
    if request.method == "POST" and form.is_valid() and items.is_valid():
        filled = [row for row in items.forms if not row.is_blank()]
        for row in filled:
            for field, message in validators.spec_item_errors(row.cleaned_data).items():
                row.add_error(field if field in row.fields else None, message)
        if not filled:
            form.add_error(None, _("A specification needs at least one test."))
        elif not any(row.errors for row in filled):
            try:
                spec = services.qc_specification_create(
                    user=request.user,
                    product_type=form.cleaned_data["product_type"],
                    version=form.cleaned_data["version"].strip(),
                    notes=form.cleaned_data["notes"],
                    items=[row.cleaned_data for row in filled],
                )
            except DomainError as error:
                _apply(form, error)
            else:
                messages.success(request, _("Draft specification saved; activate it to use it."))
                return redirect("products:spec_detail", pk=spec.pk)
    return render(
        request,
        "products/spec_form.html",
        {"form": form, "items": items, "title": _("New QC specification version")},
    )


@login_required
@access.staff()
def spec_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    require(request.user, Capability.VIEW)
    spec = selectors.specifications().filter(pk=pk).first()
    if spec is None:
        raise NotFound()
    can_lab = has_capability(request.user, Capability.LAB_WRITE)
    # A specification binds every site's lots, so no one site's calendar applies: the server's
    # (UTC) date is the default and the person activating it can change it.
    form = f.ActivateForm(request.POST or None, initial={"effective_from": timezone.localdate()})
    if request.method == "POST":
        require(request.user, Capability.LAB_WRITE)
        if form.is_valid():
            try:
                services.qc_specification_activate(
                    user=request.user, specification=spec, **form.cleaned_data
                )
            except DomainError as error:
                _apply(form, error)
            else:
                messages.success(request, _("Specification activated; earlier versions retired."))
                return redirect("products:spec_detail", pk=spec.pk)
    versions = selectors.specifications().filter(product_type=spec.product_type)
    return render(
        request,
        "products/spec_detail.html",
        {"spec": spec, "form": form, "can_lab": can_lab, "versions": versions},
    )


# --- HLA typing and antibody screens -------------------------------------------------------


def _hla_page(request: AuthenticatedHttpRequest, subject: dict[str, Any], title: str) -> Any:
    (whose,) = subject.values()  # the participant or the donor typed: either leads to a site
    form = f.HLAForm(request.POST or None, initial={"typed_on": site_today(whose)})
    if request.method == "POST" and form.is_valid():
        try:
            services.hla_typing_record(
                user=request.user,
                typed_on=form.cleaned_data["typed_on"],
                resolution=form.cleaned_data["resolution"],
                alleles=form.alleles(),
                **subject,
            )
        except DomainError as error:
            if isinstance(error, ValidationFailed) and error.field in ("a", "b", "drb1"):
                form.add_error(f"{error.field}_1", error.message)
            else:
                _apply(form, error)
        else:
            messages.success(request, _("HLA typing recorded."))
            return None
    return _form_page(request, form, title)


@login_required
@access.staff(Capability.LAB_WRITE)
def participant_hla(request: AuthenticatedHttpRequest, study_code: str) -> HttpResponse:
    participant = participant_selectors.participant_get(user=request.user, study_code=study_code)
    require(request.user, Capability.LAB_WRITE, participant.site)
    page = _hla_page(
        request,
        {"participant": participant},
        _("HLA typing of recipient %(code)s") % {"code": participant.study_code},
    )
    return page or redirect("products:participant_products", study_code=participant.study_code)


@login_required
@access.staff(Capability.LAB_WRITE)
def donor_hla(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    donor = selectors.donor_get(user=request.user, code=code)
    require(request.user, Capability.LAB_WRITE, donor.site)
    page = _hla_page(
        request, {"donor": donor}, _("HLA typing of donor %(code)s") % {"code": donor.code}
    )
    return page or redirect(reverse("products:lab_home") + "#donors")


@login_required
@access.staff(Capability.LAB_WRITE)
def antibody_screen(request: AuthenticatedHttpRequest, study_code: str) -> HttpResponse:
    participant = participant_selectors.participant_get(user=request.user, study_code=study_code)
    require(request.user, Capability.LAB_WRITE, participant.site)
    form = f.AntibodyScreenForm(
        request.POST or None, initial={"sampled_on": site_today(participant)}
    )
    if request.method == "POST" and form.is_valid():
        try:
            screen = services.antibody_screen_record(
                user=request.user, participant=participant, **form.cleaned_data
            )
        except DomainError as error:
            _apply(form, error)
        else:
            if screen.new_dsa:
                messages.warning(
                    request,
                    _(
                        "NEW donor-specific antibody (%(dsa)s): flagged for the investigator's "
                        "safety review."
                    )
                    % {"dsa": screen.donor_specific},
                )
            else:
                messages.success(request, _("Antibody screen recorded."))
            return redirect("products:participant_products", study_code=participant.study_code)
    return _form_page(
        request,
        form,
        _("Anti-HLA antibody screen of %(code)s") % {"code": participant.study_code},
    )
