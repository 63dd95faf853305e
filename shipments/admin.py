"""Admin pages for suppliers, orders, shipments and licences. Purchase orders, shipments and
licences save through their services (suppliers.services.supplier_save, shipments.services:
needed-by range and risk flags; drawdown, customs window; licence status), so the admin
cannot bypass them: a refused change is a form error (licensing.admin.ServiceAdminMixin)."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from simple_history.admin import SimpleHistoryAdmin

from licensing import admin as licensing_admin
from licensing.admin import ServiceAdminForm, ServiceAdminMixin, changed_fields
from licensing.models import Licence
from suppliers.models import PurchaseOrder, PurchaseOrderLine, Supplier
from suppliers.services import SUPPLIER_FIELDS, supplier_save

from . import services
from .models import Shipment, ShipmentLine


@admin.register(Supplier)
class SupplierAdmin(ServiceAdminMixin, SimpleHistoryAdmin):
    list_display = ("name", "local_name", "country", "uscc", "active", "external_ref")
    list_filter = ("active", "country")
    search_fields = ("name", "local_name", "uscc", "external_ref")

    def service_save(self, request, obj, form, change):
        fields = changed_fields(form, change, SUPPLIER_FIELDS)
        return supplier_save(supplier=obj if change else None, actor=request.user, **fields)


class PurchaseOrderLineInline(admin.TabularInline):
    """Read-only: lines are written through the purchase-order service (UI, API, import)."""

    model = PurchaseOrderLine
    extra = 0
    can_delete = False
    fields = readonly_fields = ("item_code", "quantity", "unit", "unit_price", "currency")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(ServiceAdminMixin, SimpleHistoryAdmin):
    list_display = ("number", "supplier", "order_date", "needed_by", "status", "at_risk")
    list_filter = ("status", "at_risk")
    search_fields = ("number", "external_ref", "supplier__name")
    readonly_fields = ("at_risk", "expected_arrival")  # computed by shipments.risk
    autocomplete_fields = ("supplier",)
    inlines = [PurchaseOrderLineInline]

    def service_save(self, request, obj, form, change):
        fields = changed_fields(form, change, services.PO_FIELDS)
        return services.purchase_order_save(purchase_order=obj if change else None, actor=request.user, **fields)


class ShipmentLineInline(admin.TabularInline):
    model = ShipmentLine
    extra = 0
    can_delete = False
    fields = readonly_fields = ("item", "quantity", "unit")

    def has_add_permission(self, request, obj=None):
        return False


class ShipmentAdminForm(ServiceAdminForm):
    class Meta:
        model = Shipment
        fields = sorted(services.SHIPMENT_FIELDS)


@admin.register(Shipment)
class ShipmentAdmin(ServiceAdminMixin, SimpleHistoryAdmin):
    # Drawdown rules live in shipments.services.shipment_save and every save here goes through
    # it; the licence, the lines and the override can only change through the UI or the API,
    # where the over-draw check, the compliance role and the override note are asked for.
    form = ShipmentAdminForm
    list_display = ("reference", "supplier", "licence", "status", "planned_ship_date", "eta", "arrived_on")
    list_filter = ("status", "transport_mode")
    search_fields = ("reference", "external_ref", "supplier__name")
    readonly_fields = ("licence", "customs_response_due", "overdraw_override", "override_note", "override_by")
    autocomplete_fields = ("supplier", "purchase_order")
    inlines = [ShipmentLineInline]

    def service_save(self, request, obj, form, change):
        fields = changed_fields(form, change, services.SHIPMENT_FIELDS)
        return services.shipment_save(shipment=obj if change else None, actor=request.user, **fields)

    def delete_model(self, request, obj):
        services.shipment_delete(shipment=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for shipment in queryset:
            services.shipment_delete(shipment=shipment, actor=request.user)


admin.site.unregister(Licence)


@admin.register(Licence)
class LicenceAdmin(licensing_admin.LicenceAdmin):
    """licensing's licence admin, saving through licence_change (status kept in step with the
    balances and dates), with the only status changes a person makes: revoke and reinstate."""

    actions = ["revoke", "reinstate"]

    def service_save(self, request, obj, form, change):
        fields = changed_fields(form, change, licensing_admin.LICENCE_HEADER_FIELDS)
        return services.licence_change(licence=obj, actor=request.user, **fields)

    def _set_revoked(self, request, queryset, revoked: bool) -> None:
        done = 0
        for licence in queryset:
            try:
                services.licence_change(licence=licence, actor=request.user, revoked=revoked)
            except ValidationError as exc:
                self.message_user(request, f"{licence.number}: {' '.join(exc.messages)}", messages.ERROR)
            else:
                done += 1
        self.message_user(request, f"{done} licence(s) {'revoked' if revoked else 'reinstated'}.")

    @admin.action(description="Revoke the selected licences")
    def revoke(self, request, queryset):
        self._set_revoked(request, queryset, True)

    @admin.action(description="Reinstate the selected licences (the status follows balances and dates)")
    def reinstate(self, request, queryset):
        self._set_revoked(request, queryset, False)
