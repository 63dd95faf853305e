"""Import purchase orders and shipments from CSV/XLSX (docs/architecture.md#ui): upload, preview with
row-level errors, then commit all or nothing through the same services the API uses.

Parsing and grouping live in the service module ``shipments.spreadsheet_import``; these views only read
the upload, keep it in the session between preview and commit, and render. The preview runs
the services inside a transaction that is rolled back, so what it reports is exactly what the
commit would meet.
"""

from __future__ import annotations

import base64
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from core.exports import Column, export_csv
from core.permissions import role_required
from core.roles import Role
from core.spreadsheets import (
    ImportFileError,
    ImportResult,
    RowError,
    column_for_key,
    missing_columns,
    read_table,
    run_import,
)

from ..forms import ImportForm
from ..spreadsheet_import import PO_COLUMNS, SHIPMENT_COLUMNS, purchase_order_groups, shipment_groups

KINDS = {
    "shipments": {
        "columns": SHIPMENT_COLUMNS,
        "build": shipment_groups,
        "title": "shipments",
        "back": "shipment-list",
        "example": {
            "reference": "COSU6281734", "supplier": "Baotou Rare Earth Magnet Co.", "item": "DY2O3",
            "quantity": "250", "unit": "kg", "status": "planned", "transport_mode": "sea",
            "planned_ship_date": "2026-01-15", "eta": "2026-02-20",
        },
    },
    "purchase-orders": {
        "columns": PO_COLUMNS,
        "build": purchase_order_groups,
        "title": "purchase orders",
        "back": "purchase-order-list",
        "example": {
            "number": "PO-2026-0001", "supplier": "Baotou Rare Earth Magnet Co.", "order_date": "2026-01-05",
            "item": "DY2O3", "quantity": "500", "unit": "kg", "unit_price": "310", "currency": "USD",
            "needed_by": "2026-05-31", "status": "open",
        },
    },
}


def _run(spec: dict, data: bytes, filename: str, actor, *, commit: bool) -> ImportResult:
    result = ImportResult()
    try:
        rows = read_table(data, filename)
    except ImportFileError as exc:
        result.errors.append(RowError(None, "", str(exc)))
        return result
    result.rows = rows
    if not rows:
        result.errors.append(RowError(None, "", "The file has a header but no rows."))
        return result
    if missing := missing_columns(rows, [name for name, required, _ in spec["columns"] if required]):
        result.errors.extend(missing)
        return result
    groups, result.records, parse_errors = spec["build"](rows, actor)
    result.errors.extend(parse_errors)
    run_import(groups, commit=commit and not parse_errors, column_for=column_for_key, result=result)
    result.errors.sort(key=lambda e: (e.row or 0, e.column))
    return result


def import_view(request: HttpRequest, kind: str, spec: dict | None = None) -> HttpResponse:
    """The upload, preview and commit of one kind; apps above shipments pass their own ``spec``
    (columns, build, title, back, example) and reuse the page."""
    spec = spec or KINDS[kind]
    session_key = f"import:{kind}"
    ctx: dict[str, Any] = {"kind": kind, "spec": spec, "form": ImportForm()}
    if request.method == "GET" and request.GET.get("template") == "csv":
        columns = [Column(name, lambda row, name=name: row.get(name, "")) for name, _, _ in spec["columns"]]
        return export_csv([spec["example"]], columns, f"{kind}-import-template")
    if request.method == "POST" and request.POST.get("action") == "commit":
        stored = request.session.get(session_key)
        if not stored:
            messages.error(request, "The preview has expired; upload the file again.")
            return redirect(request.path)
        result = _run(spec, base64.b64decode(stored["data"]), stored["name"], request.user, commit=True)
        if result.committed:
            del request.session[session_key]
            messages.success(request, f"Imported {len(result.records)} {spec['title']} from {stored['name']}.")
            return redirect(spec["back"])
        ctx.update(result=result, filename=stored["name"])
        return render(request, "shipments/import.html", ctx, status=422)
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        ctx["form"] = form
        if form.is_valid():
            upload = form.cleaned_data["file"]
            data = upload.read()
            result = _run(spec, data, upload.name, request.user, commit=False)
            if result.ok:
                request.session[session_key] = {"name": upload.name, "data": base64.b64encode(data).decode()}
            else:
                request.session.pop(session_key, None)
            ctx.update(result=result, filename=upload.name)
            return render(request, "shipments/import.html", ctx, status=200 if result.ok else 422)
    return render(request, "shipments/import.html", ctx)


@role_required(Role.PROCUREMENT)
def shipment_import(request: HttpRequest) -> HttpResponse:
    return import_view(request, "shipments")


@role_required(Role.PROCUREMENT)
def purchase_order_import(request: HttpRequest) -> HttpResponse:
    return import_view(request, "purchase-orders")
