"""Licence pages: list and detail with balances and drawdown by shipment (docs/architecture.md#drawdown), and
the create/edit forms. They live in shipments because drawdown is computed from shipments."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from core.api.fields import valid_id
from core.exports import Column, label
from core.permissions import role_required
from core.roles import Role, has_role
from core.views import ListSpec, apply_errors, list_page
from licensing import clock
from licensing import services as licensing_services
from licensing.forms import DocumentForm, ItemChoices, LicenceEditForm, LicenceForm, LicenceLineFormSet, lines_data
from licensing.models import Document, Licence, LicenceApplication
from suppliers.models import Supplier

from .. import services
from ..models import RESERVING_STATUSES, Shipment, ShipmentLine
from ..selectors import licence_lines_for_export, licences_with_lines
from .filters import LicenceFilter

_licence_status = label(Licence, "status")


def _line_value(name: str):
    return lambda row: row[1][name] if row[1] is not None else None


def decorate_expiry(rows: list[Licence]) -> None:
    today = clock.today()
    for licence in rows:
        licence.ui_days_left = (licence.valid_until - today).days
        licence.ui_expiring = licence.status == "active" and 0 <= licence.ui_days_left <= 30


LICENCE_LIST = ListSpec(
    template="shipments/licence_list.html",
    filterset_class=LicenceFilter,
    sorts={"number": ["number"], "supplier": ["supplier__name"], "valid_until": ["valid_until"], "status": ["status"]},
    default_sort="valid_until",
    columns=[
        # One row a licence line, as dicts (licence_lines_for_export): no model instance per row.
        Column("Number", lambda r: r[0]["number"], 18),
        Column("ERP reference", lambda r: r[0]["external_ref"]),
        Column("Supplier", lambda r: r[0]["supplier__name"], 28),
        Column("Application", lambda r: r[0]["application__reference"] or "", 15),
        Column("Kind", lambda r: r[0]["kind"], 9),
        Column("Valid from", lambda r: r[0]["valid_from"], 12),
        Column("Valid until", lambda r: r[0]["valid_until"], 12),
        Column("Status", lambda r: _licence_status(r[0])),
        Column("Item", lambda r: r[1]["item__code"] if r[1] is not None else "", 12),
        Column("Approved", _line_value("approved_quantity"), 12),
        Column("Drawn", _line_value("drawn_quantity"), 12),
        Column("Balance", _line_value("balance"), 12),
        Column("Unit", _line_value("unit"), 6),
    ],
    export_rows=licence_lines_for_export,
    export_name="licences",
    title="Licences",
    decorate=decorate_expiry,
)


@role_required(Role.VIEWER)
def licence_list(request: HttpRequest) -> HttpResponse:
    return list_page(request, LICENCE_LIST, licences_with_lines())


def _licence(pk: int) -> Licence:
    return get_object_or_404(
        licences_with_lines().prefetch_related(
            Prefetch("documents", queryset=Document.objects.select_related("uploaded_by"))
        ),
        pk=pk,
    )


def _drawdown_context(licence: Licence) -> dict:
    shipments = list(
        Shipment.objects.filter(licence=licence)
        .select_related("supplier")
        .prefetch_related(Prefetch("lines", queryset=ShipmentLine.objects.select_related("item")))
        .order_by("planned_ship_date", "id")
    )
    for shipment in shipments:
        shipment.ui_reserving = shipment.status in RESERVING_STATUSES
    return {"licence": licence, "lines": list(licence.lines.all()), "shipments": shipments}


@role_required(Role.VIEWER)
def licence_detail(request: HttpRequest, pk: int) -> HttpResponse:
    licence = _licence(pk)
    can_edit = has_role(request.user, Role.PROCUREMENT)
    ctx = _drawdown_context(licence) | {
        "documents": list(licence.documents.all()),
        "document_form": DocumentForm() if can_edit else None,
        "can_edit": can_edit,
        "days_left": (licence.valid_until - clock.today()).days,
    }
    return render(request, "shipments/licence_detail.html", ctx)


@role_required(Role.VIEWER)
def licence_drawdown(request: HttpRequest, pk: int) -> HttpResponse:
    """The balance bars and shipments of one licence: loaded into the application page by htmx."""
    return render(request, "shipments/_licence_drawdown.html", _drawdown_context(_licence(pk)))


@role_required(Role.PROCUREMENT)
def licence_create(request: HttpRequest) -> HttpResponse:
    """A licence with its lines, with or without an application in the system."""
    items = ItemChoices()
    kwargs = {
        "suppliers": Supplier.objects.filter(active=True),
        "applications": LicenceApplication.objects.select_related("supplier").order_by("-created_at"),
    }
    if request.method == "POST":
        form = LicenceForm(request.POST, **kwargs)
        lines = LicenceLineFormSet(request.POST, prefix="lines", form_kwargs={"items": items})
        if form.is_valid() and lines.is_valid():
            try:
                licence = licensing_services.licence_create(
                    lines=lines_data(lines), actor=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                apply_errors(exc, form, formsets={"lines": lines})
            else:
                messages.success(request, f"Licence {licence.number} recorded.")
                for warning in licence.warnings:
                    messages.warning(request, warning)
                return redirect("licence-detail", pk=licence.pk)
    else:
        initial, line_initial = {}, []
        app_id = request.GET.get("application", "")
        app_pk = valid_id(app_id)  # "²".isdigit() is true and huge ids overflow: never int() raw input
        app = LicenceApplication.objects.filter(pk=app_pk).first() if app_pk else None
        if app:
            initial = {"application": app.pk, "supplier": app.supplier_id, "kind": app.kind}
            line_initial = [
                {"item": line.item_id, "approved_quantity": line.quantity, "unit": line.unit}
                for line in app.lines.all()
            ]
        form = LicenceForm(initial=initial, **kwargs)
        lines = LicenceLineFormSet(prefix="lines", form_kwargs={"items": items}, initial=line_initial)
    return render(request, "shipments/licence_form.html", {"form": form, "lines": lines, "licence": None})


@role_required(Role.PROCUREMENT)
def licence_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The header only; lines are what MOFCOM approved. Status follows balances unless revoked."""
    licence = get_object_or_404(Licence, pk=pk)
    if request.method == "POST":
        form = LicenceEditForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            # The form offers revoked or active (reinstate); licence_change decides expired/exhausted.
            revoked = data.pop("status") == "revoked"
            try:
                licence = services.licence_change(licence=licence, actor=request.user, revoked=revoked, **data)
            except ValidationError as exc:
                apply_errors(exc, form)
            else:
                messages.success(request, f"Licence {licence.number} saved.")
                for warning in licence.warnings:
                    messages.warning(request, warning)
                return redirect("licence-detail", pk=licence.pk)
    else:
        form = LicenceEditForm(
            initial={
                "number": licence.number,
                "kind": licence.kind,
                "valid_from": licence.valid_from,
                "valid_until": licence.valid_until,
                "notes": licence.notes,
                "status": "revoked" if licence.status == "revoked" else "active",
            }
        )
    return render(request, "shipments/licence_form.html", {"form": form, "licence": licence})
