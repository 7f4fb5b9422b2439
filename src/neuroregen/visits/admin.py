from django.contrib import admin

from neuroregen.core.admin import ReadOnlyAdmin
from neuroregen.protocols.admin import ReadOnlyUnlessDraft
from neuroregen.visits.models import Visit, VisitDefinition


@admin.register(VisitDefinition)
class VisitDefinitionAdmin(ReadOnlyUnlessDraft):
    list_display = ("protocol", "code", "phase", "target_day", "window_before", "window_after")
    list_filter = ("protocol", "phase")


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdmin):
    """Visits are generated, rescheduled and recorded through the services."""

    list_display = (
        "participant",
        "code",
        "phase",
        "target_date",
        "window_open",
        "window_close",
        "done_on",
    )
    list_filter = ("phase",)
