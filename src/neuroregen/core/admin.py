from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from neuroregen.core.audit import stamp
from neuroregen.core.models import ElectronicSignature, Site, SiteMembership, User


class ReasonForChangeAdmin(SimpleHistoryAdmin):
    """Admin for audited models: an edit after first entry asks for its reason."""

    def get_form(self, request: Any, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        base = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:
            return base

        class WithReason(base):  # type: ignore[misc, valid-type]
            reason_for_change = forms.CharField(
                label=_("Reason for change"),
                max_length=300,
                help_text=_("Required: why is recorded data being changed?"),
            )

        return WithReason

    def get_fieldsets(self, request: Any, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None:
            fieldsets = [*fieldsets, (_("Audit"), {"fields": ["reason_for_change"]})]
        return fieldsets

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        stamp(obj, user=request.user, reason=form.cleaned_data.get("reason_for_change", ""))
        super().save_model(request, obj, form, change)


@admin.register(User)
class NeuroRegenUserAdmin(UserAdmin):
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        (_("Preferences"), {"fields": ("preferred_language",)}),
    )


@admin.register(Site)
class SiteAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name", "country", "is_synthetic")


@admin.register(SiteMembership)
class SiteMembershipAdmin(SimpleHistoryAdmin):
    list_display = ("user", "role", "site")
    list_filter = ("role", "site")


@admin.register(ElectronicSignature)
class ElectronicSignatureAdmin(admin.ModelAdmin):
    list_display = ("signer_name", "meaning", "signed_at", "content_type", "object_id")

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False  # signatures are never edited

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
