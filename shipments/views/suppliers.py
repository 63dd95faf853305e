"""Supplier pages: list, detail with a scorecard, create/edit."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from core.exports import Column
from core.permissions import role_required
from core.roles import Role, has_role
from core.views import ListSpec, apply_errors, list_page
from licensing.analytics import delay_stats
from licensing.models import ApplicationStatus, LicenceApplication
from licensing.models.applications import OPEN_STATUSES
from suppliers import services as supplier_services
from suppliers.models import PurchaseOrder, Supplier

from ..forms import SupplierForm
from ..models import Shipment
from ..risk import supplier_scorecard
from ..selectors import licences_with_lines
from .filters import SupplierFilter

S = ApplicationStatus

SUPPLIER_LIST = ListSpec(
    template="shipments/supplier_list.html",
    filterset_class=SupplierFilter,
    sorts={"name": ["name"], "country": ["country", "name"], "applications": ["n_applications"]},
    default_sort="name",
    columns=[
        Column("Name", lambda s: s.name, 30),
        Column("Local name", lambda s: s.local_name, 20),
        Column("Country", lambda s: s.country, 8),
        Column("USCC", lambda s: s.uscc, 20),
        Column("Contact", lambda s: s.contact_name, 18),
        Column("Email", lambda s: s.contact_email, 24),
        Column("Phone", lambda s: s.phone, 16),
        Column("Active", lambda s: s.active, 8),
        Column("Applications", lambda s: s.n_applications, 10),
        Column("Open applications", lambda s: s.n_open, 10),
        Column("ERP reference", lambda s: s.external_ref),
    ],
    export_name="suppliers",
    title="Suppliers",
)


@role_required(Role.VIEWER)
def supplier_list(request: HttpRequest) -> HttpResponse:
    queryset = Supplier.objects.annotate(
        n_applications=Count("applications", distinct=True),
        n_open=Count("applications", filter=Q(applications__status__in=OPEN_STATUSES), distinct=True),
    )
    return list_page(request, SUPPLIER_LIST, queryset)


def _percent(share: float | None) -> int | None:
    return None if share is None else round(100 * share)


def scorecard(supplier: Supplier) -> dict:
    """What a buyer asks of a supplier: volume, approval rate, typical delay, on-time shipments.

    The figures are those of the analytics (shipments.risk.supplier_scorecard, docs/analytics.md):
    medians of the clock's own working-day count, supplement pauses excluded.
    """
    card = supplier_scorecard(supplier.pk)
    applications = LicenceApplication.objects.filter(supplier=supplier)
    counts = applications.aggregate(total=Count("id"), open=Count("id", filter=Q(status__in=OPEN_STATUSES)))
    months = [r for r in delay_stats(applications, group_by="month") if r["working_days_median"] is not None]
    return {
        "applications": counts["total"],
        "open": counts["open"],
        "decided": card["decided"],
        "approval_rate": _percent(card["approval_rate"]),
        "median_days": card["median_working_days"],
        "within_statutory": _percent(card["within_statutory_share"]),
        "delivered": card["shipments_arrived"],
        "on_time_share": _percent(card["on_time_share"]),
        "decision_to_arrival_days": card["decision_to_arrival_days"],
        "decision_to_arrival_sample": card["decision_to_arrival_sample"],
        "by_month": [
            {"label": f"{dt.date.fromisoformat(r['key'] + '-01'):%b %Y} ({r['count']})",
             "value": r["working_days_median"]}
            for r in months[-12:]
        ],
    }


@role_required(Role.VIEWER)
def supplier_detail(request: HttpRequest, pk: int) -> HttpResponse:
    supplier = get_object_or_404(Supplier, pk=pk)
    return render(
        request,
        "shipments/supplier_detail.html",
        {
            "supplier": supplier,
            "score": scorecard(supplier),
            "applications": list(LicenceApplication.objects.filter(supplier=supplier).order_by("-updated_at")[:10]),
            "licences": list(licences_with_lines().filter(supplier=supplier, status="active")[:10]),
            "purchase_orders": list(PurchaseOrder.objects.filter(supplier=supplier, status="open")[:10]),
            "shipments": list(Shipment.objects.filter(supplier=supplier).select_related("licence")[:10]),
            "can_edit": has_role(request.user, Role.PROCUREMENT),
        },
    )


def _edit(request: HttpRequest, supplier: Supplier | None) -> HttpResponse:
    form = SupplierForm(request.POST or None, instance=supplier)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in SupplierForm.Meta.fields}
        try:
            saved = supplier_services.supplier_save(supplier=supplier, actor=request.user, **fields)
        except ValidationError as exc:
            apply_errors(exc, form)
        else:
            messages.success(request, f"Supplier {saved.name} saved.")
            return redirect("supplier-detail", pk=saved.pk)
    return render(request, "shipments/supplier_form.html", {"form": form, "supplier": supplier})


@role_required(Role.PROCUREMENT)
def supplier_create(request: HttpRequest) -> HttpResponse:
    return _edit(request, None)


@role_required(Role.PROCUREMENT)
def supplier_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _edit(request, get_object_or_404(Supplier, pk=pk))
