"""Supplier pages: list, detail with a scorecard, create/edit."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, F, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from core.exports import Column
from core.permissions import role_required
from core.roles import Role, has_role
from core.views import ListSpec, apply_errors, list_page
from licensing.models import ApplicationStatus, LicenceApplication
from licensing.models.applications import OPEN_STATUSES

from .. import services
from ..forms import SupplierForm
from ..models import PurchaseOrder, Shipment, ShipmentStatus, Supplier
from ..selectors import licences_with_lines
from .filters import SupplierFilter

S = ApplicationStatus

SUPPLIER_LIST = ListSpec(
    template="suppliers/supplier_list.html",
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


def scorecard(supplier: Supplier) -> dict:
    """What a buyer asks of a supplier: volume, approval rate, typical delay, on-time shipments.

    Median working days come from the stored ``decision_working_days`` of decided applications
    (the clock's own count, supplement pauses excluded); approval rate is approved / decided.
    """
    apps = LicenceApplication.objects.filter(supplier=supplier)
    rows = list(apps.values_list("status", "decision_working_days", "accepted_on"))
    decided = [r for r in rows if r[0] in (S.APPROVED, S.REJECTED)]
    approved = sum(1 for r in decided if r[0] == S.APPROVED)
    days = [r[1] for r in decided if r[1] is not None]
    by_month: dict[str, list[int]] = defaultdict(list)
    for _status, wd, accepted in decided:
        if wd is not None and accepted is not None:
            by_month[f"{accepted:%Y-%m}"].append(wd)
    delivered = Shipment.objects.filter(
        supplier=supplier, status=ShipmentStatus.DELIVERED, eta__isnull=False, arrived_on__isnull=False
    ).aggregate(total=Count("id"), on_time=Count("id", filter=Q(arrived_on__lte=F("eta"))))
    return {
        "applications": len(rows),
        "open": sum(1 for r in rows if r[0] not in (S.APPROVED, S.REJECTED, S.WITHDRAWN)),
        "decided": len(decided),
        "approval_rate": round(100 * approved / len(decided)) if decided else None,
        "median_days": statistics.median(days) if days else None,
        "delivered": delivered["total"],
        "on_time_share": round(100 * delivered["on_time"] / delivered["total"]) if delivered["total"] else None,
        "by_month": [
            {"label": f"{dt.date.fromisoformat(month + '-01'):%b %Y} ({len(v)})", "value": statistics.median(v)}
            for month, v in sorted(by_month.items())[-12:]
        ],
    }


@role_required(Role.VIEWER)
def supplier_detail(request: HttpRequest, pk: int) -> HttpResponse:
    supplier = get_object_or_404(Supplier, pk=pk)
    return render(
        request,
        "suppliers/supplier_detail.html",
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
            saved = services.supplier_save(supplier=supplier, actor=request.user, **fields)
        except ValidationError as exc:
            apply_errors(exc, form)
        else:
            messages.success(request, f"Supplier {saved.name} saved.")
            return redirect(f"/suppliers/{saved.pk}/")
    return render(request, "suppliers/supplier_form.html", {"form": form, "supplier": supplier})


@role_required(Role.PROCUREMENT)
def supplier_create(request: HttpRequest) -> HttpResponse:
    return _edit(request, None)


@role_required(Role.PROCUREMENT)
def supplier_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _edit(request, get_object_or_404(Supplier, pk=pk))
