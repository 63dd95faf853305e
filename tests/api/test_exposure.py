"""API of own products, the FX table, a policy event's impact and the what-if (docs/exposure.md)."""

import datetime as dt

import pytest

from exposure.models import Product
from tests.exposure.helpers import build_rules

from .conftest import assert_error

D = dt.date


@pytest.fixture
def world(db):
    return build_rules()


PRODUCT = {
    "sku": "MTR-1", "name": "Motor", "unit_value": "1000.00", "currency": "USD", "destinations": ["US", "DE"],
    "contents": [
        {"element": "Dy", "mass_g": "20", "china_origin": True, "value": "0.60"},
        {"element": "Tb", "mass_g": "2", "china_origin": False, "value": "0.40", "currency": "EUR"},
    ],
}


def test_it_creates_and_reads_a_product(erp, world):
    made = erp.post("/api/v1/products/", PRODUCT, format="json")
    assert made.status_code == 201, made.json()
    body = erp.get(f"/api/v1/products/{made.json()['id']}/").json()
    assert body["destinations"] == ["DE", "US"]
    assert [(c["element"], c["china_origin"], c["currency"]) for c in body["contents"]] == [
        ("Dy", True, "USD"), ("Tb", False, "EUR")
    ]


def test_it_upserts_a_product_by_external_ref(erp, world):
    first = erp.put("/api/v1/products/by-ref/erp-77/", {**PRODUCT, "external_ref": "erp-77"}, format="json")
    assert first.status_code == 201, first.json()
    again = erp.put(
        "/api/v1/products/by-ref/erp-77/", {**PRODUCT, "external_ref": "erp-77", "name": "Motor 2"}, format="json",
        HTTP_IF_MATCH=first.headers.get("ETag", "*"),
    )
    assert again.status_code == 200, again.json()
    assert Product.objects.get().name == "Motor 2"


@pytest.mark.parametrize(
    ("change", "attr"),
    [
        ({"currency": "usd"}, "currency"),
        ({"destinations": ["USA"]}, "destinations[0]"),
        ({"unit_value": "0"}, "unit_value"),
        ({"contents": [{"element": "Nb", "mass_g": "1", "value": "1"}]}, "contents[0].element"),
        ({"contents": [{"element": "Dy", "mass_g": "-1", "value": "1"}]}, "contents[0].mass_g"),
        ({"destinations": ["ZZ"]}, "destinations"),
        ({"currency": "ABC"}, "currency"),
    ],
)
def test_bad_products_are_refused_naming_the_field(erp, world, change, attr):
    response = erp.post("/api/v1/products/", {**PRODUCT, **change}, format="json")
    assert_error(response, 400, attr)
    assert not Product.objects.exists()


def test_a_read_key_cannot_write_and_an_outsider_cannot_read(erp_read, outsider_client, world):
    assert erp_read.post("/api/v1/products/", PRODUCT, format="json").status_code == 403
    assert outsider_client.get("/api/v1/products/").status_code == 403


def test_fx_rates_are_compliance_data(compliance_client, procurement_client, world):
    rate = {"currency": "EUR", "quote": "USD", "valid_from": "2026-01-01", "rate": "1.2500000000"}
    assert procurement_client.post("/api/v1/fx-rates/", rate, format="json").status_code == 403
    made = compliance_client.post("/api/v1/fx-rates/", rate, format="json")
    assert made.status_code == 201, made.json()
    assert_error(compliance_client.post("/api/v1/fx-rates/", {**rate, "quote": "EUR"}, format="json"), 400)


def test_the_impact_of_an_event_over_the_api(viewer_client, world):
    from tests.exposure.helpers import build_book

    book = build_book(world)
    body = viewer_client.get(f"/api/v1/policy-events/{world.expiry.pk}/impact/?scenario={world.ends.pk}").json()
    assert body["count"] == 4
    assert body["purchase_orders"] == [book.po_ho.id]
    assert body["shipments"] == [book.shipment.id] and body["applications"] == [book.application.id]
    assert [p["sku"] for p in body["products"]] == ["MTR-1"] and body["products"][0]["share_percent"] == "0.1000"
    assert body["per_element"]["Ho"]["orders"]["tonnes"] == "2"
    assert body["per_element"]["Ho"]["orders"]["value"] == {"USD": "100000.00"}
    extended = viewer_client.get(f"/api/v1/policy-events/{world.expiry.pk}/impact/?scenario={world.extended.pk}")
    assert extended.json()["count"] == 3


def test_the_impact_refuses_unknown_events_and_scenarios(viewer_client, outsider_client, world):
    assert_error(viewer_client.get("/api/v1/policy-events/999999/impact/"), 404)
    assert_error(viewer_client.get("/api/v1/policy-events/abc/impact/"), 404)
    assert_error(viewer_client.get(f"/api/v1/policy-events/{world.expiry.pk}/impact/?scenario=x"), 404)
    assert outsider_client.get(f"/api/v1/policy-events/{world.expiry.pk}/impact/").status_code == 403


def test_the_what_if_over_the_api(viewer_client, world, time_machine):
    from tests.exposure.helpers import build_book

    time_machine.move_to(dt.datetime(2026, 9, 15, 4, tzinfo=dt.UTC))
    build_book(world)
    body = viewer_client.get(f"/api/v1/what-if/?on=2026-11-20&scenario={world.ends.pk}").json()
    newly = body["newly_needs_licence"]
    assert [o["number"] for o in newly["purchase_orders"]] == ["PO-HO"]
    assert newly["per_element"]["Ho"]["tonnes"] == "2"
    assert [p["sku"] for p in newly["products"]] == ["MTR-1"] and newly["destinations"] == ["DE", "US"]
    assert body["no_longer_needs_licence"]["purchase_orders"] == []
    extended = viewer_client.get(f"/api/v1/what-if/?on=2026-11-20&scenario={world.extended.pk}").json()
    assert extended["newly_needs_licence"]["purchase_orders"] == []


def test_the_what_if_names_bad_parameters(viewer_client, world):
    assert_error(viewer_client.get("/api/v1/what-if/"), 400, "on")
    assert_error(viewer_client.get("/api/v1/what-if/?on=2026-13-01"), 400, "on")
    assert_error(viewer_client.get("/api/v1/what-if/?on=2026-11-20&scenario=99999"), 404)
