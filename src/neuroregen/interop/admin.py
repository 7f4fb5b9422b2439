from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from neuroregen.interop.models import ExportRecord


@admin.register(ExportRecord)
class ExportRecordAdmin(admin.ModelAdmin):
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
    readonly_fields = [f.name for f in ExportRecord._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
