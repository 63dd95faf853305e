"""Admin pages of the exposure app. Rates are written through ``fx_rate_save``; products come
in by import or the API (``product_save``), so their admin is read-only."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from licensing.admin import ServiceAdminMixin, changed_fields

from . import services
from .models import FxRate, Product, ProductContent
from .services import FX_FIELDS


@admin.register(FxRate)
class FxRateAdmin(ServiceAdminMixin, SimpleHistoryAdmin):
    list_display = ["currency", "quote", "valid_from", "rate", "source"]
    list_filter = ["currency", "quote"]

    def service_save(self, request, obj, form, change):
        fields = changed_fields(form, change, FX_FIELDS)
        return services.fx_rate_save(fx_rate=obj if change else None, actor=request.user, **fields)


class ProductContentInline(admin.TabularInline):
    model = ProductContent
    extra = 0
    can_delete = False
    readonly_fields = ["element", "mass_g", "china_origin", "supplier", "purchase_order", "value", "currency"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Product)
class ProductAdmin(SimpleHistoryAdmin):
    list_display = ["sku", "name", "unit_value", "currency", "destinations"]
    search_fields = ["sku", "name"]
    inlines = [ProductContentInline]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False
