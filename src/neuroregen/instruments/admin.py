from django.contrib import admin

from neuroregen.core.admin import ReadOnlyAdmin, ReasonForChangeAdmin
from neuroregen.instruments.models import (
    DomainMapping,
    Field,
    Instrument,
    Query,
    Response,
    Score,
)


@admin.register(Instrument)
class InstrumentAdmin(ReasonForChangeAdmin):
    list_display = ("code", "title", "licence", "builtin")


@admin.register(Field)
class FieldAdmin(ReadOnlyAdmin):
    """Fields change only by importing a data dictionary or a translation sheet, which keep
    the REDCap definition whole and consistent; here they and their history can be read."""

    list_display = ("instrument", "order", "field_name", "field_type", "field_label")
    list_filter = ("instrument",)
    search_fields = ("field_name", "field_label")


@admin.register(Score)
class ScoreAdmin(ReasonForChangeAdmin):
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
class DomainMappingAdmin(ReasonForChangeAdmin):
    list_display = ("domain", "instrument_code", "score_code", "protocol")


@admin.register(Response)
class ResponseAdmin(ReadOnlyAdmin):
    """Answers are entered through the forms and parent links (scores, checks, locks)."""

    list_display = ("participant", "visit", "instrument", "status", "respondent", "language")


@admin.register(Query)
class QueryAdmin(ReadOnlyAdmin):
    """Queries are opened, answered and closed through the query pages (each step kept)."""

    list_display = ("participant", "rule", "field_name", "status", "opened_at")
    list_filter = ("status", "rule")
