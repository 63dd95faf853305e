"""suppliers/, purchase-orders/, policy-events/ and items/."""

from __future__ import annotations

import pytest

from licensing.models import PolicyEvent
from suppliers.models import PurchaseOrder, Supplier
from tests.factories import ControlledItemFactory, PolicyEventFactory, PurchaseOrderFactory, ShipmentFactory

from .conftest import assert_error

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]

# A valid unified social credit code (the check character is right).
USCC = "91350100M000100Y43"


def test_a_supplier_is_created_and_upserted_by_external_ref(erp):
    body = {"name": "Ganzhou Rare Metals", "local_name": "赣州稀有金属", "uscc": USCC.lower(), "external_ref": "x"}
    r1 = erp.put("/api/v1/suppliers/by-ref/V-100/", body)
    assert r1.status_code == 201, r1.json()
    assert (r1.json()["uscc"], r1.json()["country"], r1.json()["external_ref"]) == (USCC, "CN", "V-100")
    r2 = erp.put("/api/v1/suppliers/by-ref/V-100/", {**body, "contact_email": "sales@ganzhou.example"})
    assert r2.status_code == 200 and r2.json()["id"] == r1.json()["id"]
    assert Supplier.objects.get().contact_email == "sales@ganzhou.example"


@pytest.mark.parametrize(
    ("change", "attr"),
    [
        ({"uscc": "91350100M000100Y44"}, "uscc"),  # wrong check character
        ({"country": "China"}, "country"),
        ({"contact_email": "not-an-email"}, "contact_email"),
        ({"name": ""}, "name"),
        ({"active": "perhaps"}, "active"),
    ],
)
def test_bad_suppliers_are_refused(erp, change, attr):
    assert_error(erp.post("/api/v1/suppliers/", {"name": "A", **change}), 400, attr)
    assert not Supplier.objects.exists()


def test_a_duplicate_external_ref_is_refused(erp):
    erp.post("/api/v1/suppliers/", {"name": "A", "external_ref": "V-1"})
    assert_error(erp.post("/api/v1/suppliers/", {"name": "B", "external_ref": "V-1"}), 400, "external_ref")
    assert Supplier.objects.count() == 1


def test_a_supplier_in_use_cannot_be_deleted(erp, supplier):
    ShipmentFactory(supplier=supplier)
    assert_error(erp.delete(f"/api/v1/suppliers/{supplier.pk}/"), 409, code="protected")
    assert Supplier.objects.filter(pk=supplier.pk).exists()


def test_a_purchase_order_is_created_with_lines_and_upserted(erp, supplier, dy):
    body = {
        "number": "4500012345",
        "supplier": supplier.pk,
        "order_date": "2025-09-01",
        "needed_by": "2026-01-31",
        "lines": [{"item": "DY", "quantity": "250", "unit_price": "310.5", "currency": "EUR"}],
    }
    r1 = erp.put("/api/v1/purchase-orders/by-ref/PO-4500012345/", body)
    assert r1.status_code == 201, r1.json()
    assert r1.json()["at_risk"] is False
    assert r1.json()["lines"] == [
        {"item": "DY", "quantity": "250.000", "unit": "kg", "unit_price": "310.5000", "currency": "EUR"}
    ]
    r2 = erp.put("/api/v1/purchase-orders/by-ref/PO-4500012345/", {**body, "lines": [{"item": "DY", "quantity": "5"}]})
    assert r2.status_code == 200 and r2.json()["lines"][0]["quantity"] == "5.000"
    assert PurchaseOrder.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "attr"),
    [
        ({"needed_by": "2025-08-01"}, "needed_by"),
        ({"order_date": None}, "order_date"),
        ({"status": "paid"}, "status"),
        ({"number": "PO-TAKEN"}, "number"),
        ({"lines": [{"item": "DY", "quantity": "1", "currency": "euro"}]}, "lines[0].currency"),
    ],
)
def test_bad_purchase_orders_are_refused(erp, supplier, dy, change, attr):
    PurchaseOrderFactory(number="PO-TAKEN")
    body = {"number": "PO-2", "supplier": supplier.pk, "order_date": "2025-09-01", **change}
    assert_error(erp.post("/api/v1/purchase-orders/", body), 400, attr)
    assert PurchaseOrder.objects.count() == 1


def test_purchase_order_filters(erp, supplier, dy):
    a = PurchaseOrderFactory(supplier=supplier, order_date="2025-09-01", status="open")
    b = PurchaseOrderFactory(order_date="2025-10-15", status="closed")
    PurchaseOrder.objects.filter(pk=b.pk).update(at_risk=True)

    def ids(query):
        r = erp.get(f"/api/v1/purchase-orders/?{query}")
        assert r.status_code == 200, r.json()
        return [x["id"] for x in r.json()["results"]]

    assert ids("at_risk=true") == [b.pk]
    assert ids(f"supplier={supplier.pk}") == [a.pk]
    assert ids("status=closed") == [b.pk]
    assert ids("order_date_from=2025-10-01") == [b.pk]
    assert ids("ordering=order_date") == [a.pk, b.pk]
    assert ids("ordering=-order_date") == [b.pk, a.pk]


def test_policy_events_crud_with_items_by_code_and_lead_days(compliance_client, dy, tb):
    body = {
        "date": "2026-11-10",
        "title": "Suspension of No. 61 ends",
        "jurisdiction": "CN",
        "kind": "expiry",
        "elements": "Dy",
        "lead_days": [1, 30, 7],
    }
    r = compliance_client.post("/api/v1/policy-events/", body)
    assert r.status_code == 201, r.json()
    assert r.json()["items"] == ["DY"] and r.json()["lead_days"] == [30, 7, 1]
    pk = r.json()["id"]
    r = compliance_client.patch(f"/api/v1/policy-events/{pk}/", {"items": ["DY", "TB"]})
    assert r.status_code == 200 and sorted(r.json()["items"]) == ["DY", "TB"]
    assert_error(compliance_client.patch(f"/api/v1/policy-events/{pk}/", {"items": ["XX"]}), 400, "items")
    assert_error(compliance_client.patch(f"/api/v1/policy-events/{pk}/", {"lead_days": [400]}), 400, "lead_days[0]")
    assert_error(compliance_client.post("/api/v1/policy-events/", body), 400)  # same date and title
    assert compliance_client.delete(f"/api/v1/policy-events/{pk}/").status_code == 204
    assert not PolicyEvent.objects.exists()


def test_policy_events_filter_by_item_including_events_for_all_items(erp, dy, tb):
    for_dy = PolicyEventFactory(date="2026-01-01")
    for_dy.items.set([dy])
    for_all = PolicyEventFactory(date="2026-02-01")
    PolicyEventFactory(date="2026-03-01").items.set([tb])
    r = erp.get("/api/v1/policy-events/?item=DY")
    assert [x["id"] for x in r.json()["results"]] == [for_dy.pk, for_all.pk]
    r = erp.get("/api/v1/policy-events/?date_from=2026-01-15&date_to=2026-02-15")
    assert [x["id"] for x in r.json()["results"]] == [for_all.pk]


def test_items_are_read_only_and_referenced_by_code(erp, dy):
    child = ControlledItemFactory(code="DY-MAG-N52", elements="Dy Nd", parent=dy, form="magnet")
    r = erp.get("/api/v1/items/DY-MAG-N52/")
    assert r.status_code == 200
    assert (r.json()["parent"], r.json()["elements"]) == ("DY", ["Dy", "Nd"])
    assert [x["code"] for x in erp.get("/api/v1/items/?element=Nd").json()["results"]] == [child.code]
    assert [x["code"] for x in erp.get("/api/v1/items/?element=D").json()["results"]] == []
    assert_error(erp.post("/api/v1/items/", {"code": "X"}), 405)
    assert_error(erp.delete("/api/v1/items/DY/"), 405)
