"""List filters for suppliers, purchase orders, shipments and licences (django-filter)."""

from __future__ import annotations

import django_filters as df
from django import forms
from django.db.models import Q

from licensing import clock
from licensing.models import Licence, LicenceStatus
from suppliers.models import PurchaseOrder, Supplier

from ..models import PENDING_STATUSES, Shipment, ShipmentStatus
from ..selectors import licence_has_balance_q, licences_expiring_q, purchase_orders_at_risk, shipments_at_risk_q

SEARCH = forms.TextInput(attrs={"type": "search", "placeholder": "Search…"})
DATE = forms.DateInput(attrs={"type": "date"})


def _suppliers(request):
    return Supplier.objects.only("id", "name")


class SupplierFilter(df.FilterSet):
    q = df.CharFilter(label="Search", method="search", widget=SEARCH)
    country = df.CharFilter(
        label="Country", lookup_expr="iexact", widget=forms.TextInput(attrs={"size": 3, "placeholder": "CN"})
    )
    active = df.BooleanFilter(
        label="Active", widget=forms.Select(choices=[("", "Any"), ("true", "Active"), ("false", "Inactive")])
    )

    class Meta:
        model = Supplier
        fields: list[str] = []

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value)
            | Q(local_name__icontains=value)
            | Q(uscc__icontains=value)
            | Q(external_ref__icontains=value)
            | Q(contact_name__icontains=value)
        )


class PurchaseOrderFilter(df.FilterSet):
    q = df.CharFilter(label="Search", method="search", widget=SEARCH)
    status = df.ChoiceFilter(choices=PurchaseOrder.Status.choices, empty_label="Any status")
    supplier = df.ModelChoiceFilter(queryset=_suppliers, empty_label="Any supplier")
    needed_from = df.DateFilter(label="Needed from", field_name="needed_by", lookup_expr="gte", widget=DATE)
    needed_to = df.DateFilter(label="Needed by", field_name="needed_by", lookup_expr="lte", widget=DATE)
    at_risk = df.BooleanFilter(label="At risk only", method="by_at_risk", widget=forms.CheckboxInput)

    class Meta:
        model = PurchaseOrder
        fields: list[str] = []

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(number__icontains=value) | Q(external_ref__icontains=value) | Q(supplier__name__icontains=value)
        )

    def by_at_risk(self, queryset, name, value):
        return queryset.filter(pk__in=purchase_orders_at_risk().values("pk")) if value else queryset


class ShipmentFilter(df.FilterSet):
    q = df.CharFilter(label="Search", method="search", widget=SEARCH)
    status = df.ChoiceFilter(choices=ShipmentStatus.choices, empty_label="Any status")
    supplier = df.ModelChoiceFilter(queryset=_suppliers, empty_label="Any supplier")
    ship_from = df.DateFilter(label="Ships from", field_name="planned_ship_date", lookup_expr="gte", widget=DATE)
    ship_to = df.DateFilter(label="Ships to", field_name="planned_ship_date", lookup_expr="lte", widget=DATE)
    at_risk = df.BooleanFilter(label="At risk only", method="by_at_risk", widget=forms.CheckboxInput)
    late = df.BooleanFilter(label="Late only", method="by_late", widget=forms.CheckboxInput)

    class Meta:
        model = Shipment
        fields: list[str] = []

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(reference__icontains=value)
            | Q(external_ref__icontains=value)
            | Q(supplier__name__icontains=value)
            | Q(licence__number__icontains=value)
            | Q(purchase_order__number__icontains=value)
        )

    def by_at_risk(self, queryset, name, value):
        return queryset.filter(shipments_at_risk_q(clock.today())) if value else queryset

    def by_late(self, queryset, name, value):
        return queryset.filter(status__in=list(PENDING_STATUSES), eta__lt=clock.today()) if value else queryset


class LicenceFilter(df.FilterSet):
    q = df.CharFilter(label="Search", method="search", widget=SEARCH)
    status = df.ChoiceFilter(choices=LicenceStatus.choices, empty_label="Any status")
    supplier = df.ModelChoiceFilter(queryset=_suppliers, empty_label="Any supplier")
    # max_value: a huge value would overflow the date arithmetic (a 500).
    expiring_within = df.NumberFilter(label="Expiring within (days)", method="by_expiring", min_value=0, max_value=3650)
    with_balance = df.BooleanFilter(label="With balance left", method="by_balance", widget=forms.CheckboxInput)

    class Meta:
        model = Licence
        fields: list[str] = []

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(number__icontains=value) | Q(external_ref__icontains=value) | Q(supplier__name__icontains=value)
        )

    def by_expiring(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(licences_expiring_q(clock.today(), int(value)))

    def by_balance(self, queryset, name, value):
        return queryset.filter(licence_has_balance_q()) if value else queryset
