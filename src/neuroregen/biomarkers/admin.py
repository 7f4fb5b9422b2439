from django.contrib import admin

from neuroregen.biomarkers.models import Measurement
from neuroregen.core.admin import ReasonForChangeAdmin


@admin.register(Measurement)
class MeasurementAdmin(ReasonForChangeAdmin):
    list_display = (
        "participant",
        "analyte",
        "region",
        "value",
        "unit",
        "limit_flag",
        "collected_at",
    )
    list_filter = ("analyte", "limit_flag", "source")
    readonly_fields = ("participant", "limit_flag")
