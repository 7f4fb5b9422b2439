from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from neuroregen.core.audit import AuditedModel, stamp
from neuroregen.core.models import ElectronicSignature, Site, SiteMembership, User

REASON = "reason_for_change"


class HistoryAdmin(SimpleHistoryAdmin):
    """Admin with the record's history; reverting to an old version is a change like any other."""

    def history_form_view(
        self, request: Any, object_id: str, version_id: str, extra_context: Any = None
    ) -> Any:
        # simple-history saves a POSTed revert without asking for change permission.
        if request.method == "POST":
            obj = self.get_object(request, unquote(object_id))
            if not self.has_change_permission(request, obj):
                raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class ReadOnlyAdmin(HistoryAdmin):
    """Records changed only through the services (lock guard, validation, e-signatures):
    the admin shows them and their history, and offers no add, change, revert or delete."""

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class ReasonForChangeForm(forms.ModelForm):
    """A model form that asks why, once the record exists (first entry needs no reason)."""

    reason_for_change = forms.CharField(
        label=_("Reason for change"),
        max_length=300,
        required=False,
        help_text=_("Required: why is recorded data being changed?"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields[REASON].required = self.instance.pk is not None


class ReasonForChangeAdmin(HistoryAdmin):
    """Admin for audited definitions: an edit after first entry asks for its reason, which goes
    into the history with the acting user, as the services do."""

    form = ReasonForChangeForm

    def get_fields(self, request: Any, obj: Any = None) -> Any:
        return [name for name in super().get_fields(request, obj) if name != REASON]

    def get_fieldsets(self, request: Any, obj: Any = None) -> Any:
        fieldsets = [
            (title, {**options, "fields": [f for f in options["fields"] if f != REASON]})
            for title, options in super().get_fieldsets(request, obj)
        ]
        if obj is not None and self.has_change_permission(request, obj):
            fieldsets.append((_("Audit"), {"fields": [REASON]}))
        return fieldsets

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        # Audited records are retired or corrected, never deleted (a delete needs a reason the
        # admin's delete page does not ask for).
        if issubclass(self.model, AuditedModel):
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        stamp(obj, user=request.user, reason=form.cleaned_data.get(REASON, ""))
        super().save_model(request, obj, form, change)


@admin.register(User)
class NeuroRegenUserAdmin(HistoryAdmin, UserAdmin):
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        (_("Preferences"), {"fields": ("preferred_language",)}),
    )


@admin.register(Site)
class SiteAdmin(ReasonForChangeAdmin):
    list_display = ("code", "name", "country", "is_synthetic")


@admin.register(SiteMembership)
class SiteMembershipAdmin(ReasonForChangeAdmin):
    list_display = ("user", "role", "site")
    list_filter = ("role", "site")


@admin.register(ElectronicSignature)
class ElectronicSignatureAdmin(ReadOnlyAdmin):
    """Signatures are made by the signing pages and never edited."""

    list_display = ("signer_name", "meaning", "signed_at", "content_type", "object_id")
