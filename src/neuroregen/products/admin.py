"""Read-only admin for products: changes go through the services (signatures, timelines)."""

from django.contrib import admin

from neuroregen.core.admin import ReadOnlyAdmin
from neuroregen.products.models import Lot, QCSpecification


@admin.register(QCSpecification)
class QCSpecificationAdmin(ReadOnlyAdmin):
    list_display = ("product_type", "version", "status", "effective_from")


@admin.register(Lot)
class LotAdmin(ReadOnlyAdmin):
    list_display = ("code", "product_type", "site", "status", "expires_at")
    list_filter = ("status", "product_type", "site")
    search_fields = ("code",)
