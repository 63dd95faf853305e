from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import PurchaseOrder, PurchaseOrderLine, Shipment, ShipmentLine, Supplier


@admin.register(Supplier)
class SupplierAdmin(SimpleHistoryAdmin):
    list_display = ("name", "local_name", "country", "uscc", "active", "external_ref")
    list_filter = ("active", "country")
    search_fields = ("name", "local_name", "uscc", "external_ref")


class PurchaseOrderLineInline(admin.TabularInline):
    model = PurchaseOrderLine
    extra = 0
    autocomplete_fields = ("item",)


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(SimpleHistoryAdmin):
    list_display = ("number", "supplier", "order_date", "needed_by", "status", "at_risk")
    list_filter = ("status", "at_risk")
    search_fields = ("number", "external_ref", "supplier__name")
    autocomplete_fields = ("supplier",)
    inlines = [PurchaseOrderLineInline]


class ShipmentLineInline(admin.TabularInline):
    model = ShipmentLine
    extra = 0
    can_delete = False
    fields = readonly_fields = ("item", "quantity", "unit")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Shipment)
class ShipmentAdmin(SimpleHistoryAdmin):
    # Drawdown rules live in suppliers.services.shipment_save; the admin is for reading and
    # for fixing free-text fields, so the licence and lines are not editable here.
    list_display = ("reference", "supplier", "licence", "status", "planned_ship_date", "eta", "arrived_on")
    list_filter = ("status", "transport_mode")
    search_fields = ("reference", "external_ref", "supplier__name")
    readonly_fields = ("licence", "customs_response_due", "overdraw_override", "override_note", "override_by")
    autocomplete_fields = ("supplier", "purchase_order")
    inlines = [ShipmentLineInline]
