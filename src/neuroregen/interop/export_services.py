"""Export services: the export page and ``neuroregen export`` call the same function.

:func:`export_run` writes one format of one protocol, read through
:func:`~neuroregen.interop.dataset.collect` (roles, sites, withdrawn data, identity only for
administrators), and keeps one append-only :class:`~neuroregen.interop.models.ExportRecord`
per export with the reason for any identity that left. :func:`package` turns the files into
one download (a zip when a format writes several files).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from neuroregen.core.audit import stamp
from neuroregen.core.errors import ValidationFailed
from neuroregen.core.research_dates import sees_calendar_dates
from neuroregen.interop.dataset import ExportOptions, collect
from neuroregen.interop.exports import FORMATS
from neuroregen.interop.models import ExportChannel, ExportRecord

CONTENT_TYPES = {
    ".csv": "text/csv; charset=utf-8",
    ".xml": "application/xml",
    ".json": "application/fhir+json",
    ".xpt": "application/octet-stream",
    ".zip": "application/zip",
}


@dataclass
class ExportResult:
    paths: list[Path]
    participants: int
    record: ExportRecord
    messages: list[str] = field(default_factory=list)  # what the export states (SDTM: AE)


def export_run(
    *,
    user: Any,
    protocol: str,
    fmt: str,
    out: Path,
    options: ExportOptions,
    flat: bool = False,
    reason: str = "",
    channel: str = ExportChannel.WEB,
    project: bool = False,
) -> ExportResult:
    """Write one format of ``protocol`` into ``out`` and record who exported what (and why).

    Identity leaves only for an administrator (checked by :func:`collect`) who gives a reason;
    the reason is kept in an append-only :class:`ExportRecord`.
    """
    if fmt not in FORMATS:
        raise ValidationFailed(
            _("Unknown export format '%(f)s'.") % {"f": fmt}, field="export_format"
        )
    reason = reason.strip()
    if options.include_identity and not reason:
        raise ValidationFailed(
            _("Say why identity must leave the system: the reason is kept in the audit trail."),
            field="reason",
        )
    if not sees_calendar_dates(user):
        # Readers who see study days, not calendar dates (statisticians), get shifted dates.
        options = replace(options, shift_dates=True)
    dataset = collect(user=user, protocol=protocol, options=options)
    paths = FORMATS[fmt](dataset, out, flat=flat, project=project)
    record = ExportRecord(
        exported_by=user,
        channel=channel,
        protocol_code=dataset.protocol.code,
        export_format=fmt,
        shift_dates=options.shift_dates,
        include_identity=options.include_identity,
        reason=reason,
        participant_count=len(dataset.participants),
        files=[p.name for p in paths],
    )
    stamp(record, user=user, reason=reason or "export")
    record.save()
    return ExportResult(
        paths=list(paths),
        participants=len(dataset.participants),
        record=record,
        messages=list(getattr(paths, "messages", [])),
    )


@dataclass
class Download:
    name: str
    content_type: str
    data: bytes


def package(paths: list[Path], stem: str) -> Download:
    """One file as itself; several (SDTM, NDA) in a zip named after the export."""
    if len(paths) == 1:
        path = paths[0]
        return Download(
            f"{stem}{path.suffix}",
            CONTENT_TYPES.get(path.suffix, "application/octet-stream"),
            path.read_bytes(),
        )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in paths:
            archive.write(path, arcname=path.name)
    return Download(f"{stem}.zip", CONTENT_TYPES[".zip"], buffer.getvalue())
