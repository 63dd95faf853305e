"""shipments/ and licences/: lines in one POST, drawdown figures, over-draws refused with the
service's message, ships_after_expiry, forcing by compliance only, licence headers."""

from __future__ import annotations

import pytest

from licensing.models import Licence
from shipments.models import Shipment
from tests.factories import LicenceLineFactory, PurchaseOrderFactory, SupplierFactory

from .conftest import assert_error

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]


def shipment(supplier, licence=None, qty="400", **extra):
    body = {"reference": "BL-1", "supplier": supplier.pk, "lines": [{"item": "DY", "quantity": qty}], **extra}
    if licence is not None:
        body["licence"] = licence.pk
    return body


def balance(client, licence) -> dict:
    return client.get(f"/api/v1/licences/{licence.pk}/").json()["lines"][0]


def test_a_shipment_is_created_with_its_lines_and_draws_its_licence(erp, supplier, licence):
    r = erp.post("/api/v1/shipments/", shipment(supplier, licence, planned_ship_date="2025-12-10"))
    assert r.status_code == 201, r.json()
    assert r.json()["lines"] == [{"item": "DY", "quantity": "400.000", "unit": "kg"}]
    assert r.json()["ships_after_expiry"] is False
    assert balance(erp, licence) == {
        "item": "DY",
        "approved_quantity": "1000.000",
        "unit": "kg",
        "reserved_quantity": "400.000",
        "used_quantity": "0.000",
        "drawn_quantity": "400.000",
        "balance": "600.000",
    }
    erp.patch(f"/api/v1/shipments/{r.json()['id']}/", {"status": "in_transit"})
    line = balance(erp, licence)
    assert (line["reserved_quantity"], line["used_quantity"], line["balance"]) == ("0.000", "400.000", "600.000")


def test_an_over_draw_answers_409_with_the_services_message_and_writes_nothing(erp, supplier, licence):
    erp.post(
        "/api/v1/shipments/",
        shipment(supplier, licence, qty="0.7", lines=[{"item": "DY", "quantity": "0.7", "unit": "t"}]),
    )
    r = erp.post("/api/v1/shipments/", shipment(supplier, licence, qty="400"))
    body = assert_error(r, 409, "lines[0].quantity", "overdraw")
    assert body["errors"][0]["detail"] == "Licence LIC-1 has 300 kg of DY left; this shipment asks for 400 kg."
    assert Shipment.objects.count() == 1


def test_only_compliance_may_force_an_over_draw_with_a_note(erp, compliance_client, supplier, licence):
    over = shipment(supplier, licence, qty="1200", force=True, override_note="Customs agreed a top-up")
    assert_error(erp.post("/api/v1/shipments/", over), 400, "force")
    r = compliance_client.post("/api/v1/shipments/", over)
    assert r.status_code == 201, r.json()
    assert r.json()["overdraw_override"] is True
    assert balance(erp, licence)["balance"] == "-200.000"


def test_ships_after_expiry_is_flagged(erp, supplier, licence):
    r = erp.post("/api/v1/shipments/", shipment(supplier, licence, planned_ship_date="2026-06-15"))
    assert r.json()["ships_after_expiry"] is True


@pytest.mark.parametrize(
    ("change", "status", "attr"),
    [
        ({"lines": [{"item": "NOPE", "quantity": "1"}]}, 400, "lines[0].item"),
        ({"lines": [{"item": "DY", "quantity": "-1"}]}, 400, "lines[0].quantity"),
        ({"lines": []}, 400, "lines"),
        ({"status": "lost"}, 400, "status"),
        ({"planned_ship_date": "2025-12-10", "eta": "2025-12-01"}, 400, "eta"),
        ({"planned_ship_date": "2025-13-01"}, 400, "planned_ship_date"),
        ({"status": "held"}, 400, "held_on"),
        ({"supplier": 424242}, 400, "supplier"),
        ({"reference": ""}, 400, "reference"),
    ],
)
def test_bad_shipments_are_refused_naming_the_field(erp, supplier, licence, change, status, attr):
    assert_error(erp.post("/api/v1/shipments/", {**shipment(supplier, licence), **change}), status, attr)
    assert not Shipment.objects.exists()


def test_a_licence_or_order_of_another_supplier_is_refused(erp, supplier, licence):
    other = SupplierFactory()
    assert_error(erp.post("/api/v1/shipments/", shipment(other, licence)), 400, "licence", "wrong_supplier")
    po = PurchaseOrderFactory(supplier=other)
    assert_error(erp.post("/api/v1/shipments/", shipment(supplier, purchase_order=po.pk)), 400, "purchase_order")


def test_an_item_not_on_the_licence_is_refused(erp, supplier, licence, tb):
    body = {**shipment(supplier, licence), "lines": [{"item": "TB", "quantity": "1"}]}
    assert_error(erp.post("/api/v1/shipments/", body), 409, "lines[0].item", "not_on_licence")


def test_a_shipment_is_upserted_by_external_ref(erp, supplier, licence):
    r1 = erp.put("/api/v1/shipments/by-ref/SHP-9/", shipment(supplier, licence))
    r2 = erp.put("/api/v1/shipments/by-ref/SHP-9/", shipment(supplier, licence, qty="900"))
    assert (r1.status_code, r2.status_code) == (201, 200), r2.json()
    assert r1.json()["id"] == r2.json()["id"]
    assert Shipment.objects.count() == 1
    assert balance(erp, licence)["balance"] == "100.000"  # the shipment's own earlier draw is not double-counted


def test_deleting_a_shipment_frees_its_draw(erp, supplier, licence):
    r = erp.post("/api/v1/shipments/", shipment(supplier, licence, qty="1000"))
    assert Licence.objects.get().status == "exhausted"
    assert erp.delete(f"/api/v1/shipments/{r.json()['id']}/").status_code == 204
    assert Licence.objects.get().status == "active"
    assert balance(erp, licence)["balance"] == "1000.000"


def test_shipment_filters(erp, supplier, licence, tb):
    a = erp.post("/api/v1/shipments/", shipment(supplier, licence, planned_ship_date="2025-12-10")).json()
    b = erp.post(
        "/api/v1/shipments/",
        {
            **shipment(supplier),
            "lines": [{"item": "TB", "quantity": "1"}],
            "status": "booked",
            "planned_ship_date": "2026-01-10",
        },
    ).json()

    def ids(query):
        r = erp.get(f"/api/v1/shipments/?{query}")
        assert r.status_code == 200, r.json()
        return [s["id"] for s in r.json()["results"]]

    assert ids("item=TB") == [b["id"]]
    assert ids("status=booked") == [b["id"]]
    assert ids(f"licence={licence.pk}") == [a["id"]]
    assert ids("planned_ship_date_to=2025-12-31") == [a["id"]]
    assert_error(erp.get("/api/v1/shipments/?planned_ship_date_from=2025-02-30"), 400, "planned_ship_date_from")


LICENCE = {
    "number": "MOFCOM-2025-1001",
    "valid_from": "2025-11-01",
    "valid_until": "2026-10-31",
    "lines": [{"item": "DY", "approved_quantity": "800"}, {"item": "TB", "approved_quantity": "2", "unit": "t"}],
}


def test_a_licence_is_created_with_its_lines_without_an_application(erp, supplier, dy, tb):
    r = erp.post("/api/v1/licences/", {**LICENCE, "supplier": supplier.pk})
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["application"] is None and body["status"] == "active" and body["warnings"] == []
    assert [(x["item"], x["approved_quantity"], x["unit"], x["balance"]) for x in body["lines"]] == [
        ("DY", "800.000", "kg", "800.000"),
        ("TB", "2.000", "t", "2.000"),
    ]


def test_a_long_licence_is_accepted_with_a_warning(erp, supplier, dy, tb):
    r = erp.post("/api/v1/licences/", {**LICENCE, "supplier": supplier.pk, "valid_until": "2027-06-30"})
    assert r.status_code == 201 and "normally runs at most 1 year" in r.json()["warnings"][0]


@pytest.mark.parametrize(
    ("change", "attr"),
    [
        ({"valid_until": "2025-10-01"}, "valid_until"),
        ({"lines": []}, "lines"),
        ({"lines": [{"item": "DY", "approved_quantity": "1"}, {"item": "DY", "approved_quantity": "2"}]}, "lines"),
        ({"lines": [{"item": "ZZ", "approved_quantity": "1"}]}, "lines[0].item"),
        ({"number": "LIC-1"}, "number"),  # taken
    ],
)
def test_bad_licences_are_refused(erp, supplier, licence, tb, change, attr):
    assert_error(erp.post("/api/v1/licences/", {**LICENCE, "supplier": supplier.pk, **change}), 400, attr)
    assert Licence.objects.count() == 1


def test_a_licence_header_changes_but_not_its_lines(erp, licence):
    r = erp.patch(f"/api/v1/licences/{licence.pk}/", {"status": "revoked", "notes": "Revoked by MOFCOM"})
    assert r.status_code == 200, r.json()
    assert r.json()["status"] == "revoked"
    assert_error(erp.patch(f"/api/v1/licences/{licence.pk}/", {"lines": []}), 400, "lines")
    # exhausted and expired follow the balances and the calendar.
    assert_error(erp.patch(f"/api/v1/licences/{licence.pk}/", {"status": "expired"}), 400, "status")
    assert_error(erp.patch(f"/api/v1/licences/{licence.pk}/", {"valid_until": "2020-01-01"}), 400, "valid_until")


def test_a_revoked_licence_refuses_new_shipments(erp, supplier, licence):
    erp.patch(f"/api/v1/licences/{licence.pk}/", {"status": "revoked"})
    assert_error(erp.post("/api/v1/shipments/", shipment(supplier, licence)), 409, "licence", "revoked")


def test_licence_filters(erp, supplier, licence, tb):
    other = LicenceLineFactory(licence__supplier=supplier, licence__valid_until="2026-12-31", item=tb).licence

    def ids(query):
        return [x["id"] for x in erp.get(f"/api/v1/licences/?{query}").json()["results"]]

    assert ids("item=TB") == [other.pk]
    assert ids("valid_until_to=2026-06-30") == [licence.pk]
    assert ids("status=active") == [licence.pk, other.pk]


def test_a_shipment_planned_after_its_licence_ends_is_created_with_a_warning(erp, supplier, licence):
    r = erp.post("/api/v1/shipments/", shipment(supplier, licence, planned_ship_date="2026-06-10"))
    assert r.status_code == 201, r.json()
    assert r.json()["ships_after_expiry"] is True
    assert r.json()["warnings"] == [
        "The shipment is planned to ship on 2026-06-10, after licence LIC-1 ends (2026-05-31): "
        "ship earlier or assign another licence."
    ]
