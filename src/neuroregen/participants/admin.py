from django.contrib import admin

from neuroregen.core.admin import ReasonForChangeAdmin
from neuroregen.participants.models import ConsentDocument, Participant


@admin.register(ConsentDocument)
class ConsentDocumentAdmin(ReasonForChangeAdmin):
    list_display = ("kind", "version", "language", "effective_from", "retired_on")


@admin.register(Participant)
class ParticipantAdmin(ReasonForChangeAdmin):
    """Research data only; identity is never shown in the admin."""

    list_display = ("study_code", "site", "status", "dsm5_severity")
    list_filter = ("site", "status")
    readonly_fields = ("study_code", "site")
    search_fields = ("study_code",)
