from django.contrib import admin

from neuroregen.core.admin import ReadOnlyAdmin, ReasonForChangeAdmin
from neuroregen.safety.models import (
    AdverseEvent,
    BiomarkerSignalRule,
    ReportingClock,
    SafetyReviewTask,
    StoppingRule,
)


@admin.register(AdverseEvent)
class AdverseEventAdmin(ReadOnlyAdmin):
    """Events are recorded and changed through the safety pages (services)."""

    list_display = ("code", "participant", "term", "grade", "is_serious", "onset_date")
    list_filter = ("is_serious", "grade", "aesi_category")
    search_fields = ("code", "term", "participant__study_code")


@admin.register(ReportingClock)
class ReportingClockAdmin(ReadOnlyAdmin):
    list_display = ("event", "kind", "due_at", "submitted_at", "required")


@admin.register(BiomarkerSignalRule)
class BiomarkerSignalRuleAdmin(ReasonForChangeAdmin):
    list_display = ("code", "analyte", "comparison", "threshold", "unit", "within_days", "active")


@admin.register(StoppingRule)
class StoppingRuleAdmin(ReasonForChangeAdmin):
    list_display = ("protocol", "code", "kind", "qualifying_event", "active")


@admin.register(SafetyReviewTask)
class SafetyReviewTaskAdmin(ReadOnlyAdmin):
    list_display = ("participant", "analyte", "value", "unit", "status")
