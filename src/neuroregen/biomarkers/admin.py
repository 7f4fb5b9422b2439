from django.contrib import admin

from neuroregen.biomarkers.models import Measurement
from neuroregen.core.admin import ReadOnlyAdmin


@admin.register(Measurement)
class MeasurementAdmin(ReadOnlyAdmin):
    """Results are entered and corrected through the biomarker pages and imports."""

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
