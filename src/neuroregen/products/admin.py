"""Read-mostly admin for products: changes go through the services (signatures, timelines)."""

from django.contrib import admin

from neuroregen.products.models import Lot, QCSpecification


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(QCSpecification)
class QCSpecificationAdmin(ReadOnlyAdmin):
    list_display = ("product_type", "version", "status", "effective_from")


@admin.register(Lot)
class LotAdmin(ReadOnlyAdmin):
    list_display = ("code", "product_type", "site", "status", "expires_at")
    list_filter = ("status", "product_type", "site")
    search_fields = ("code",)
