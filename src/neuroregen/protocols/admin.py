from django.contrib import admin

from neuroregen.core.admin import ReadOnlyAdmin, ReasonForChangeAdmin
from neuroregen.protocols.models import Arm, Assignment, EligibilityRule, Protocol


class ReadOnlyUnlessDraft(ReasonForChangeAdmin):
    """Protocol content changes only while its version is a draft (amend to change it later)."""

    def _protocol_of(self, obj):
        return obj if isinstance(obj, Protocol) else getattr(obj, "protocol", None)

    def has_change_permission(self, request, obj=None):
        protocol = self._protocol_of(obj) if obj is not None else None
        if protocol is not None and not protocol.is_editable:
            return False
        return super().has_change_permission(request, obj)


@admin.register(Protocol)
class ProtocolAdmin(ReadOnlyUnlessDraft):
    list_display = (
        "code",
        "version",
        "name",
        "status",
        "regulatory_reference",
        "trial_phase",
        "activated_on",
    )
    list_filter = ("status",)
    readonly_fields = ("status", "supersedes", "activated_on")


@admin.register(Arm)
class ArmAdmin(ReadOnlyUnlessDraft):
    list_display = ("protocol", "code", "product_type", "route", "dose_per_kg_default")
    list_filter = ("protocol",)


@admin.register(EligibilityRule)
class EligibilityRuleAdmin(ReadOnlyUnlessDraft):
    list_display = ("protocol", "code", "kind", "field", "operator", "value", "arm_code")
    list_filter = ("protocol", "kind")


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    """Assignments are decided and signed through the application's pages."""

    list_display = ("participant", "protocol", "arm", "status", "evaluated_on", "day_zero")
    list_filter = ("status", "protocol")
