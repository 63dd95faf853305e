"""Defects a review found in the web UI: each test failed before its fix."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from suppliers.models import PurchaseOrder, Shipment

HEADER = "reference,supplier,item,quantity,unit,licence,status,planned_ship_date,eta\n"
ROW = "{ref},Baotou Rare Earth Magnet Co.,DY2O3,{qty},kg,LIC-2025-0812,planned,2025-12-10,2026-01-20\n"


def preview(client, url: str, text: str):
    return client.post(url, {"file": SimpleUploadedFile("f.csv", text.encode())})


# --- 1. Numbers in imports ---------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("qty", ["NaN", "Infinity", "-inf", "sNaN", "1.234,5", "1,23,4.5.6"])
def test_non_finite_and_ambiguous_quantities_are_row_errors_not_500s(scene, procurement, client, qty):
    client.force_login(procurement)
    response = preview(client, "/shipments/import/", HEADER + ROW.format(ref="BL-N", qty=f'"{qty}"'))
    assert response.status_code == 422
    errors = [(e.row, e.column) for e in response.context["result"].errors]
    assert errors == [(2, "quantity")]
    assert not Shipment.objects.filter(reference="BL-N").exists()


@pytest.mark.parametrize(
    ("qty", "expected"), [("1,234.5", "1234.5"), ("12,5", "12.5"), ("1 000", "1000"), ("1,234,567.25", "1234567.25")]
)
def test_plain_thousands_and_decimal_commas_still_read(qty, expected):
    from core.imports import Row
    from suppliers.imports import Parser

    parser = Parser()
    assert str(parser.decimal(Row(7, {"quantity": qty}), "quantity")) == expected
    assert parser.errors == []


# --- 2. Parsing lives in a service module ------------------------------------------------------


def test_import_parsing_lives_in_the_service_module_and_the_views_stay_thin():
    from suppliers import imports
    from suppliers.views import imports as views

    for name in ("Lookups", "Parser", "shipment_groups", "purchase_order_groups"):
        assert hasattr(imports, name), name
        assert name not in vars(views) or vars(views)[name] is getattr(imports, name), name
    assert not hasattr(views, "Parser") and not hasattr(views, "Lookups")


# --- 3. Re-importing without an external_ref updates --------------------------------------------


@pytest.mark.django_db
def test_reimporting_a_shipment_file_without_external_ref_updates_instead_of_duplicating(scene, procurement, client):
    client.force_login(procurement)
    text = HEADER + ROW.format(ref="BL-RE", qty="100")
    response = preview(client, "/shipments/import/", text)
    assert [r["action"] for r in response.context["result"].records] == ["create"]
    assert client.post("/shipments/import/", {"action": "commit"}).status_code == 302
    shipment = Shipment.objects.get(reference="BL-RE")

    response = preview(client, "/shipments/import/", HEADER + ROW.format(ref="BL-RE", qty="120"))
    assert response.context["result"].ok, response.context["result"].errors
    assert [r["action"] for r in response.context["result"].records] == ["update"]
    assert client.post("/shipments/import/", {"action": "commit"}).status_code == 302
    assert Shipment.objects.filter(reference="BL-RE").count() == 1
    shipment.refresh_from_db()
    assert shipment.lines.get().quantity == 120


@pytest.mark.django_db
def test_reimporting_a_purchase_order_file_updates_by_number(scene, procurement, client):
    client.force_login(procurement)
    text = "number,supplier,order_date,item,quantity\nPO-RE-1,Baotou Rare Earth Magnet Co.,2025-11-01,DY2O3,{q}\n"
    preview(client, "/purchase-orders/import/", text.format(q=10))
    client.post("/purchase-orders/import/", {"action": "commit"})
    response = preview(client, "/purchase-orders/import/", text.format(q=15))
    assert [r["action"] for r in response.context["result"].records] == ["update"]
    client.post("/purchase-orders/import/", {"action": "commit"})
    assert PurchaseOrder.objects.get(number="PO-RE-1").lines.get().quantity == 15
