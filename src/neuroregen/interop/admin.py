from django.contrib import admin

from neuroregen.core.admin import ReadOnlyAdmin
from neuroregen.interop.models import ExportRecord


@admin.register(ExportRecord)
class ExportRecordAdmin(ReadOnlyAdmin):
    """The export log, for audit: read only (records are append-only)."""

    list_display = (
        "exported_at",
        "exported_by",
        "channel",
        "protocol_code",
        "export_format",
        "include_identity",
        "shift_dates",
        "participant_count",
    )
    list_filter = ("include_identity", "export_format", "channel")
    search_fields = ("protocol_code", "exported_by__username", "reason")
