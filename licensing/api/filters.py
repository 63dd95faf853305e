"""List filters (docs/architecture.md#api): external_ref, status, supplier, item code, date ranges, overdue,
updated_since. Item filters use EXISTS, not a join, so a row never appears twice."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q
from django_filters import rest_framework as filters

from core.api.fields import ApiFilterSet, BooleanFilter, IdFilter, date_range
from licensing import clock
from licensing.models import ApplicationLine, ApplicationStatus, ControlledItem, LicenceApplication, PolicyEvent
from licensing.selectors import overdue_q


class ControlledItemFilter(ApiFilterSet):
    external_ref = None
    form = filters.CharFilter()
    element = filters.CharFilter(method="filter_element", help_text="An element symbol, e.g. Dy.")
    licensing_required = BooleanFilter()

    class Meta:
        model = ControlledItem
        fields = ["form", "licensing_required"]

    def filter_element(self, queryset, name, value):
        # Elements are stored space-separated: match whole symbols only ("Y" must not match "Dy").
        v = value.strip()
        return queryset.filter(
            Q(elements=v)
            | Q(elements__startswith=f"{v} ")
            | Q(elements__endswith=f" {v}")
            | Q(elements__contains=f" {v} ")
        )


class ApplicationFilter(ApiFilterSet):
    status = filters.MultipleChoiceFilter(choices=ApplicationStatus.choices)
    supplier = IdFilter(field_name="supplier_id")
    purchase_order = IdFilter(field_name="purchase_order_id")
    item = filters.CharFilter(method="filter_item", help_text="A controlled item's code on any line.")
    reference = filters.CharFilter()
    kind = filters.CharFilter()
    overdue = BooleanFilter(
        method="filter_overdue", help_text="Undecided and past the stored decision due date."
    )
    accepted_on_from, accepted_on_to = date_range("accepted_on", "Accepted")
    submitted_on_from, submitted_on_to = date_range("submitted_on", "Submitted")
    decided_on_from, decided_on_to = date_range("decided_on", "Decided")
    decision_due_from, decision_due_to = date_range("decision_due", "Decision due")

    class Meta:
        model = LicenceApplication
        fields: list = []

    def filter_item(self, queryset, name, value):
        lines = ApplicationLine.objects.filter(application=OuterRef("pk"), item__code=value)
        return queryset.filter(Exists(lines))

    def filter_overdue(self, queryset, name, value):
        overdue = overdue_q(clock.today())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)


class PolicyEventFilter(ApiFilterSet):
    external_ref = None
    date_from, date_to = date_range("date", "Dated")
    jurisdiction = filters.ChoiceFilter(choices=PolicyEvent.Jurisdiction.choices)
    kind = filters.ChoiceFilter(choices=PolicyEvent.Kind.choices)
    item = filters.CharFilter(method="filter_item", help_text="Events affecting this item code (or all items).")

    class Meta:
        model = PolicyEvent
        fields: list = []

    def filter_item(self, queryset, name, value):
        through = PolicyEvent.items.through
        affects = through.objects.filter(policyevent=OuterRef("pk"), controlleditem__code=value)
        any_item = through.objects.filter(policyevent=OuterRef("pk"))
        # No items means the event affects every item (docs/architecture.md#models).
        return queryset.filter(Exists(affects) | ~Exists(any_item))
