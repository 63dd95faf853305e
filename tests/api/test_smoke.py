import pytest

from .conftest import assert_error

pytestmark = pytest.mark.django_db


def test_it_round_trips_every_resource(erp, dy, supplier, frozen):
    r = erp.post(
        "/api/v1/purchase-orders/",
        {
            "number": "PO-1",
            "supplier": supplier.pk,
            "order_date": "2025-09-01",
            "lines": [{"item": "DY", "quantity": "100"}],
        },
    )
    assert r.status_code == 201, r.json()
    po = r.json()
    r = erp.post(
        "/api/v1/applications/",
        {
            "supplier": supplier.pk,
            "end_user": "X",
            "destination_country": "DE",
            "lines": [{"item": "DY", "quantity": "100"}],
            "events": [{"to": "submitted", "on": "2025-09-20"}, {"to": "accepted", "on": "2025-09-26"}],
        },
    )
    assert r.status_code == 201, r.json()
    app = r.json()
    assert app["decision_due"] == "2025-12-04", app
    r = erp.post(
        f"/api/v1/applications/{app['id']}/transition/",
        {
            "to": "approved",
            "on": "2025-11-20",
            "licence": {
                "number": "L-1",
                "valid_until": "2026-11-19",
                "lines": [{"item": "DY", "approved_quantity": "1000"}],
            },
        },
    )
    assert r.status_code == 200, r.json()
    r = erp.get("/api/v1/licences/")
    assert r.status_code == 200, r.json()
    lic = r.json()["results"][0]
    r = erp.post(
        "/api/v1/shipments/",
        {
            "reference": "BL1",
            "supplier": supplier.pk,
            "licence": lic["id"],
            "purchase_order": po["id"],
            "lines": [{"item": "DY", "quantity": "400"}],
        },
    )
    assert r.status_code == 201, r.json()
    r = erp.post(
        "/api/v1/shipments/",
        {
            "reference": "BL2",
            "supplier": supplier.pk,
            "licence": lic["id"],
            "lines": [{"item": "DY", "quantity": "700"}],
        },
    )
    assert_error(r, 409, "lines[0].quantity", "overdraw")
    r = erp.get(f"/api/v1/licences/{lic['id']}/")
    assert r.json()["lines"][0]["balance"] == "600.000", r.json()
    for path in ("items", "applications", "policy-events", "suppliers", "purchase-orders", "shipments", "licences"):
        r = erp.get(f"/api/v1/{path}/")
        assert r.status_code == 200, (path, r.json())
    r = erp.get("/api/v1/items/DY/")
    assert r.status_code == 200
