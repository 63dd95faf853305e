"""List filters for the licensing pages (django-filter), shared by the page and its exports."""

from __future__ import annotations

import django_filters as df
from django import forms
from django.db.models import Q

from .. import clock
from ..models import ApplicationStatus, LicenceApplication, LicenceKind, PolicyEvent
from ..models.applications import OPEN_STATUSES
from ..selectors import due_between_q, overdue_q

SEARCH = forms.TextInput(attrs={"type": "search", "placeholder": "Search…"})
DATE = forms.DateInput(attrs={"type": "date"})


def _suppliers(request):
    # The supplier model belongs to the suppliers app; licensing reaches it through the
    # foreign key instead of importing it (dependencies point one way, docs/architecture.md#layers).
    return LicenceApplication._meta.get_field("supplier").related_model.objects.only("id", "name")


class ApplicationFilter(df.FilterSet):
    q = df.CharFilter(label="Search", method="search", widget=SEARCH)
    status = df.ChoiceFilter(
        label="Status",
        method="by_status",
        empty_label="Any status",
        choices=[("open", "All open"), *ApplicationStatus.choices],
    )
    supplier = df.ModelChoiceFilter(label="Supplier", queryset=_suppliers, empty_label="Any supplier")
    kind = df.ChoiceFilter(label="Kind", choices=LicenceKind.choices, empty_label="Any kind")
    # max_value: ten years is plenty, and keeps the working-day walk short (a huge value would hang).
    due_within = df.NumberFilter(
        label="Due within (working days)", method="by_due_within", min_value=0, max_value=3650
    )
    accepted_from = df.DateFilter(label="Accepted from", field_name="accepted_on", lookup_expr="gte", widget=DATE)
    accepted_to = df.DateFilter(label="Accepted to", field_name="accepted_on", lookup_expr="lte", widget=DATE)
    overdue = df.BooleanFilter(label="Overdue only", method="by_overdue", widget=forms.CheckboxInput)

    class Meta:
        model = LicenceApplication
        fields: list[str] = []

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(reference__icontains=value)
            | Q(end_user__icontains=value)
            | Q(supplier__name__icontains=value)
            | Q(mofcom_number__icontains=value)
            | Q(external_ref__icontains=value)
            | Q(contract_number__icontains=value)
        )

    def by_status(self, queryset, name, value):
        if value == "open":
            return queryset.filter(status__in=OPEN_STATUSES)
        return queryset.filter(status=value)

    def by_overdue(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(overdue_q(clock.today()))

    def by_due_within(self, queryset, name, value):
        if value is None:
            return queryset
        today = clock.today()
        until = clock.calendar().add_working_days(today, int(value))
        return queryset.filter(due_between_q(today, until))


class PolicyEventFilter(df.FilterSet):
    q = df.CharFilter(label="Search", method="search", widget=SEARCH)
    jurisdiction = df.ChoiceFilter(choices=PolicyEvent.Jurisdiction.choices, empty_label="Any jurisdiction")
    kind = df.ChoiceFilter(choices=PolicyEvent.Kind.choices, empty_label="Any kind")
    confidence = df.ChoiceFilter(choices=PolicyEvent.Confidence.choices, empty_label="Any confidence")
    date_from = df.DateFilter(label="From", field_name="date", lookup_expr="gte", widget=DATE)
    date_to = df.DateFilter(label="To", field_name="date", lookup_expr="lte", widget=DATE)

    class Meta:
        model = PolicyEvent
        fields: list[str] = []

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__icontains=value) | Q(summary__icontains=value) | Q(elements__icontains=value))
