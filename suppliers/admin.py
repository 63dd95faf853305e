"""Admin pages for suppliers, orders and shipments. A shipment's writes go through
suppliers.services (drawdown, customs window, licence status), so the admin cannot over-draw."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction
from simple_history.admin import SimpleHistoryAdmin

from . import services
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


class _DryRun(Exception):
    """Rolls back the trial run of the service in ShipmentAdminForm.clean()."""


def _service_fields(form: forms.ModelForm, change: bool) -> dict:
    names = form.changed_data if change else form.cleaned_data
    return {name: form.cleaned_data[name] for name in names if name in services.SHIPMENT_FIELDS}


class ShipmentAdminForm(forms.ModelForm):
    class Meta:
        model = Shipment
        fields = sorted(services.SHIPMENT_FIELDS)

    def clean(self):
        """Run shipment_save in a savepoint that is always rolled back, so that a refused
        change (an over-draw after a status change, a hold without a date) shows as a form
        error instead of a server error. save_model then runs it for real."""
        cleaned = super().clean()
        if self.errors:
            return cleaned
        change = self.instance.pk is not None
        try:
            with transaction.atomic():
                services.shipment_save(
                    shipment=self.instance if change else None, actor=getattr(self, "user", None),
                    **_service_fields(self, change),
                )
                raise _DryRun
        except _DryRun:
            pass
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                self.add_error(name if name in self.fields else None, messages)
        return cleaned


@admin.register(Shipment)
class ShipmentAdmin(SimpleHistoryAdmin):
    # Drawdown rules live in suppliers.services.shipment_save and every save here goes through
    # it; the licence, the lines and the override can only change through the UI or the API,
    # where the over-draw check, the compliance role and the override note are asked for.
    form = ShipmentAdminForm
    list_display = ("reference", "supplier", "licence", "status", "planned_ship_date", "eta", "arrived_on")
    list_filter = ("status", "transport_mode")
    search_fields = ("reference", "external_ref", "supplier__name")
    readonly_fields = ("licence", "customs_response_due", "overdraw_override", "override_note", "override_by")
    autocomplete_fields = ("supplier", "purchase_order")
    inlines = [ShipmentLineInline]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.user = request.user  # the trial run in clean() needs the actor (roles)
        return form

    def save_model(self, request, obj, form, change):
        saved = services.shipment_save(
            shipment=obj if change else None, actor=request.user, **_service_fields(form, change)
        )
        for field in saved._meta.concrete_fields:
            setattr(obj, field.attname, getattr(saved, field.attname))
        obj._state.adding = False
        obj._state.db = saved._state.db

    def delete_model(self, request, obj):
        services.shipment_delete(shipment=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for shipment in queryset:
            services.shipment_delete(shipment=shipment, actor=request.user)
