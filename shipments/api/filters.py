"""List filters (docs/architecture.md#api). Item filters use EXISTS, not a join, so a row never appears twice."""

from __future__ import annotations

from django.db.models import Exists, OuterRef
from django_filters import rest_framework as filters

from core.api.fields import ApiFilterSet, BooleanFilter, IdFilter, date_range
from licensing.models import Licence, LicenceLine, LicenceStatus
from shipments.models import Shipment, ShipmentLine, ShipmentStatus
from suppliers.models import PurchaseOrder, PurchaseOrderLine, Supplier


class SupplierFilter(ApiFilterSet):
    active = BooleanFilter()
    country = filters.CharFilter(lookup_expr="iexact")
    uscc = filters.CharFilter(lookup_expr="iexact")
    name = filters.CharFilter(lookup_expr="icontains", help_text="Part of the name.")

    class Meta:
        model = Supplier
        fields: list = []


def _item_exists(line_model, owner: str, lookup: str = "item__code"):
    def method(self, queryset, name, value):
        return queryset.filter(Exists(line_model.objects.filter(**{owner: OuterRef("pk")}, **{lookup: value})))

    return method


class PurchaseOrderFilter(ApiFilterSet):
    status = filters.MultipleChoiceFilter(choices=PurchaseOrder.Status.choices)
    supplier = IdFilter(field_name="supplier_id")
    number = filters.CharFilter()
    at_risk = BooleanFilter()
    item = filters.CharFilter(method="filter_item", help_text="A controlled item's code on any line.")
    order_date_from, order_date_to = date_range("order_date", "Ordered")
    needed_by_from, needed_by_to = date_range("needed_by", "Needed by")

    filter_item = _item_exists(PurchaseOrderLine, "purchase_order", "item_code")

    class Meta:
        model = PurchaseOrder
        fields: list = []


class ShipmentFilter(ApiFilterSet):
    status = filters.MultipleChoiceFilter(choices=ShipmentStatus.choices)
    supplier = IdFilter(field_name="supplier_id")
    purchase_order = IdFilter(field_name="purchase_order_id")
    licence = IdFilter(field_name="licence_id")
    reference = filters.CharFilter()
    item = filters.CharFilter(method="filter_item", help_text="A controlled item's code on any line.")
    planned_ship_date_from, planned_ship_date_to = date_range("planned_ship_date", "Planned to ship")
    eta_from, eta_to = date_range("eta", "ETA")
    arrived_on_from, arrived_on_to = date_range("arrived_on", "Arrived")

    filter_item = _item_exists(ShipmentLine, "shipment")

    class Meta:
        model = Shipment
        fields: list = []


class LicenceFilter(ApiFilterSet):
    status = filters.MultipleChoiceFilter(choices=LicenceStatus.choices)
    supplier = IdFilter(field_name="supplier_id")
    application = IdFilter(field_name="application_id")
    number = filters.CharFilter()
    item = filters.CharFilter(method="filter_item", help_text="A controlled item's code on any line.")
    valid_until_from, valid_until_to = date_range("valid_until", "Valid until")
    valid_from_from, valid_from_to = date_range("valid_from", "Valid from")

    filter_item = _item_exists(LicenceLine, "licence")

    class Meta:
        model = Licence
        fields: list = []
