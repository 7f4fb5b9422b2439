from django.contrib import admin

from neuroregen.core.admin import ReadOnlyAdmin, ReasonForChangeAdmin
from neuroregen.participants.models import ConsentDocument, Participant


@admin.register(ConsentDocument)
class ConsentDocumentAdmin(ReasonForChangeAdmin):
    list_display = ("kind", "version", "language", "effective_from", "retired_on")


@admin.register(Participant)
class ParticipantAdmin(ReadOnlyAdmin):
    """Research data only (identity is never shown here); changed through the registry pages."""

    list_display = ("study_code", "site", "status", "dsm5_severity")
    list_filter = ("site", "status")
    search_fields = ("study_code",)
