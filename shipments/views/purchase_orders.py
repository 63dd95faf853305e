"""Purchase order pages: list, detail with its applications and shipments, create/edit with lines."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from core.exports import Column, field, label
from core.permissions import role_required
from core.roles import Role, has_role
from core.views import ListSpec, apply_errors, list_page
from licensing.forms import ItemChoices, lines_data
from licensing.models import LicenceApplication
from licensing.selectors import items_by_code
from suppliers.models import PurchaseOrder, PurchaseOrderLine

from .. import services
from ..forms import PurchaseOrderForm, PurchaseOrderLineFormSet
from ..models import Shipment
from ..selectors import purchase_orders_for_export
from .filters import PurchaseOrderFilter


def _lines_text(row: dict) -> str:
    return "; ".join(f"{line['item_code']} {line['quantity'].normalize():f} {line['unit']}" for line in row["lines"])


PO_LIST = ListSpec(
    template="shipments/purchase_order_list.html",
    filterset_class=PurchaseOrderFilter,
    sorts={
        "number": ["number"],
        "supplier": ["supplier__name"],
        "ordered": ["order_date"],
        "needed": ["needed_by"],
        "status": ["status"],
    },
    default_sort="-ordered",
    columns=[
        # Rows as dicts (purchase_orders_for_export): no model instance per order.
        Column("Number", field("number"), 16),
        Column("ERP reference", field("external_ref")),
        Column("Supplier", field("supplier__name"), 28),
        Column("Order date", field("order_date"), 12),
        Column("Needed by", field("needed_by"), 12),
        Column("Status", label(PurchaseOrder, "status")),
        Column("At risk", field("at_risk"), 8),
        Column("Expected arrival", field("expected_arrival"), 12),
        Column("Lines", _lines_text, 40),
    ],
    export_rows=purchase_orders_for_export,
    export_name="purchase-orders",
    title="Purchase orders",
)


def _with_items(lines) -> list[PurchaseOrderLine]:
    """The lines, each with ``catalogue_item``: the controlled item its code names (one query)."""
    lines = list(lines)
    items = items_by_code(line.item_code for line in lines)
    for line in lines:
        line.catalogue_item = items.get(line.item_code)
    return lines


def _queryset():
    return PurchaseOrder.objects.select_related("supplier").prefetch_related("lines")


@role_required(Role.VIEWER)
def purchase_order_list(request: HttpRequest) -> HttpResponse:
    return list_page(request, PO_LIST, _queryset())


@role_required(Role.VIEWER)
def purchase_order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    po = get_object_or_404(_queryset(), pk=pk)
    return render(
        request,
        "shipments/purchase_order_detail.html",
        {
            "po": po,
            "lines": _with_items(po.lines.all()),
            "applications": list(LicenceApplication.objects.filter(purchase_order=po).order_by("-created_at")),
            "shipments": list(Shipment.objects.filter(purchase_order=po).select_related("licence")),
            "can_edit": has_role(request.user, Role.PROCUREMENT),
        },
    )


def _edit(request: HttpRequest, po: PurchaseOrder | None) -> HttpResponse:
    items = ItemChoices()
    initial_lines = (
        [
            {
                "item": items.pk_by_code.get(line.item_code),
                "quantity": line.quantity,
                "unit": line.unit,
                "unit_price": line.unit_price,
                "currency": line.currency,
            }
            for line in po.lines.all()
        ]
        if po
        else []
    )
    if request.method == "POST":
        form = PurchaseOrderForm(request.POST, instance=po)
        lines = PurchaseOrderLineFormSet(
            request.POST, prefix="lines", form_kwargs={"items": items}, initial=initial_lines
        )
        if form.is_valid() and lines.is_valid():
            fields = {name: form.cleaned_data[name] for name in PurchaseOrderForm.Meta.fields}
            try:
                saved = services.purchase_order_save(
                    purchase_order=po, lines=lines_data(lines), actor=request.user, **fields
                )
            except ValidationError as exc:
                apply_errors(exc, form, formsets={"lines": lines})
            else:
                messages.success(request, f"Purchase order {saved.number} saved.")
                return redirect("purchase-order-detail", pk=saved.pk)
    else:
        form = PurchaseOrderForm(instance=po)
        lines = PurchaseOrderLineFormSet(prefix="lines", form_kwargs={"items": items}, initial=initial_lines)
    return render(request, "shipments/purchase_order_form.html", {"form": form, "lines": lines, "po": po})


@role_required(Role.PROCUREMENT)
def purchase_order_create(request: HttpRequest) -> HttpResponse:
    return _edit(request, None)


@role_required(Role.PROCUREMENT)
def purchase_order_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _edit(request, get_object_or_404(PurchaseOrder.objects.prefetch_related("lines"), pk=pk))
