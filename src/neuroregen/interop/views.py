"""Export and import pages: the same services as ``neuroregen export`` / ``neuroregen import``.

Who may use them comes from the role table: exporting needs ``export_pseudonymous``
(administrators, investigators, statisticians), identity in an export ``export_identity``
(administrators, with a reason that is recorded), importing ``manage_participant`` at the
sites of the children in the file (rows of other sites are refused as unknown records).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header

from neuroregen.core import access
from neuroregen.core.errors import NotPermitted, ValidationFailed
from neuroregen.core.http import AuthenticatedHttpRequest
from neuroregen.core.permissions import has_capability, require
from neuroregen.core.roles import Capability
from neuroregen.core.uploads import check_size, safe_filename
from neuroregen.interop import forms, services
from neuroregen.interop.dataset import ExportOptions
from neuroregen.interop.errors import ImportRejected
from neuroregen.interop.export_services import export_run, package


def _may(request: AuthenticatedHttpRequest) -> dict[str, bool]:
    return {
        "may_export": has_capability(request.user, Capability.EXPORT_PSEUDONYMOUS),
        "may_export_identity": has_capability(request.user, Capability.EXPORT_IDENTITY),
        "may_import": has_capability(request.user, Capability.MANAGE_PARTICIPANT),
    }


@login_required
@access.staff(Capability.EXPORT_PSEUDONYMOUS, Capability.MANAGE_PARTICIPANT, any_of=True)
def interop_index(request: AuthenticatedHttpRequest) -> HttpResponse:
    may = _may(request)
    if not (may["may_export"] or may["may_import"]):
        raise NotPermitted(capability=Capability.EXPORT_PSEUDONYMOUS.value)
    return render(request, "interop/index.html", may)


@login_required
@access.staff(Capability.EXPORT_PSEUDONYMOUS)
def export_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    require(request.user, Capability.EXPORT_PSEUDONYMOUS)
    form = forms.ExportForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            options = ExportOptions(
                shift_dates=data["shift_dates"],
                include_identity=data["include_identity"],
                fhir_version=data["fhir_version"] or "r4",
                allow_missing_guid=data["allow_missing_guid"],
            )
            try:
                with tempfile.TemporaryDirectory(prefix="nr-export-") as folder:
                    result = export_run(
                        user=request.user,
                        protocol=data["protocol"],
                        fmt=data["export_format"],
                        out=Path(folder),
                        options=options,
                        flat=data["flat"],
                        reason=data["reason"] if options.include_identity else "",
                    )
                    stem = "_".join(
                        [
                            data["protocol"],
                            data["export_format"],
                            timezone.localdate().strftime("%Y%m%d"),
                        ]
                    )
                    download = package(result.paths, stem)
            except ValidationFailed as error:
                form.apply_domain_error(error)
            else:
                response = HttpResponse(download.data, content_type=download.content_type)
                # never None for an attachment; the fallback only satisfies the type
                response["Content-Disposition"] = (
                    content_disposition_header(as_attachment=True, filename=download.name)
                    or "attachment"
                )
                return response
    return render(request, "interop/export.html", {"form": form, **_may(request)}, status=status)


@login_required
@access.staff(Capability.MANAGE_PARTICIPANT)
def import_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    require(request.user, Capability.MANAGE_PARTICIPANT)
    form = forms.ImportForm(request.POST or None, request.FILES or None)
    context: dict[str, object] = {"form": form}
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            upload = form.cleaned_data["file"]
            fmt = form.cleaned_data["import_format"] or "redcap"
            try:
                name = safe_filename(upload.name, allowed_extensions=forms.IMPORT_EXTENSIONS[fmt])
                check_size(upload.size)
                result = services.file_import(
                    user=request.user,
                    protocol=form.cleaned_data["protocol"],
                    fmt=fmt,
                    data=upload.read(),
                    source_name=name,
                )
            except ImportRejected as error:
                context.update(problems=error.problems, file_name=upload.name)
            except ValidationFailed as error:
                form.apply_domain_error(error)
            else:
                status = 200
                context.update(result=result, file_name=name)
    return render(request, "interop/import.html", context, status=status)
