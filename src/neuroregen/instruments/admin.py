from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from neuroregen.core.admin import ReasonForChangeAdmin
from neuroregen.instruments.models import DomainMapping, Instrument, Query, Response, Score


@admin.register(Instrument)
class InstrumentAdmin(SimpleHistoryAdmin):
    list_display = ("code", "title", "licence", "builtin")


@admin.register(Score)
class ScoreAdmin(admin.ModelAdmin):
    """Ranges, directions, missing-item limits and reliabilities are configurable here."""

    list_display = (
        "instrument",
        "code",
        "minimum",
        "maximum",
        "direction",
        "reliability",
        "reliability_provisional",
        "max_missing_items",
    )
    list_filter = ("instrument",)


@admin.register(DomainMapping)
class DomainMappingAdmin(SimpleHistoryAdmin):
    list_display = ("domain", "instrument_code", "score_code", "protocol")


@admin.register(Response)
class ResponseAdmin(ReasonForChangeAdmin):
    list_display = ("participant", "visit", "instrument", "status", "respondent", "language")
    readonly_fields = ("participant", "visit", "instrument", "scores")


@admin.register(Query)
class QueryAdmin(ReasonForChangeAdmin):
    list_display = ("participant", "rule", "field_name", "status", "opened_at")
    list_filter = ("status", "rule")

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
