"""The shipment admin saves through shipments.services: it cannot bypass the drawdown rules."""

import datetime as dt

from shipments import services
from shipments.models import Shipment, ShipmentStatus

D = dt.date


def _form(shipment, **changes):
    data = {
        "supplier": shipment.supplier_id, "purchase_order": "", "reference": shipment.reference,
        "status": shipment.status, "transport_mode": "sea", "planned_ship_date": "2025-12-10",
        "actual_ship_date": "", "eta": "2026-01-20", "arrived_on": "", "held_on": "", "notes": "",
        "external_ref": "",
        "lines-TOTAL_FORMS": "0", "lines-INITIAL_FORMS": "0", "lines-MIN_NUM_FORMS": "0", "lines-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    return data


def _two_shipments(supplier, licence, dy):
    lines = [{"item": dy, "quantity": "700", "unit": "kg"}]
    cancelled = services.shipment_save(
        supplier=supplier, licence=licence, reference="BL-1", planned_ship_date=D(2025, 12, 10), lines=lines
    )
    services.shipment_save(shipment=cancelled, status="cancelled")
    services.shipment_save(
        supplier=supplier, licence=licence, reference="BL-2", planned_ship_date=D(2025, 12, 10), lines=lines
    )
    return Shipment.objects.get(pk=cancelled.pk)


def test_reviving_a_cancelled_shipment_in_the_admin_is_refused_when_it_over_draws(
    client, admin_user, supplier, licence, dy, frozen_today
):
    shipment = _two_shipments(supplier, licence, dy)
    client.force_login(admin_user)
    response = client.post(f"/admin/shipments/shipment/{shipment.pk}/change/", _form(shipment, status="planned"))
    assert response.status_code == 200  # the form again, with the error
    assert "has 300 kg of DY left; this shipment asks for 700 kg" in response.content.decode()
    assert Shipment.objects.get(pk=shipment.pk).status == ShipmentStatus.CANCELLED


def test_an_admin_hold_sets_the_customs_window_and_the_history_user(
    client, admin_user, supplier, licence, dy, frozen_today
):
    shipment = services.shipment_save(
        supplier=supplier, licence=licence, reference="BL-9", planned_ship_date=D(2025, 12, 10),
        lines=[{"item": dy, "quantity": "10", "unit": "kg"}],
    )
    client.force_login(admin_user)
    response = client.post(
        f"/admin/shipments/shipment/{shipment.pk}/change/", _form(shipment, status="held", held_on="2025-11-26")
    )
    assert response.status_code == 302
    shipment.refresh_from_db()
    assert (shipment.status, shipment.customs_response_due) == (ShipmentStatus.HELD, D(2025, 12, 5))
    assert shipment.history.first().history_user == admin_user


def test_an_admin_hold_without_a_date_is_a_form_error(client, admin_user, supplier, licence, dy, frozen_today):
    shipment = services.shipment_save(
        supplier=supplier, licence=licence, reference="BL-9", lines=[{"item": dy, "quantity": "10", "unit": "kg"}]
    )
    client.force_login(admin_user)
    response = client.post(f"/admin/shipments/shipment/{shipment.pk}/change/", _form(shipment, status="held"))
    assert response.status_code == 200
    assert "Give the day customs held the shipment." in response.content.decode()


def test_deleting_in_the_admin_gives_the_balance_back(client, admin_user, supplier, make_licence, dy, frozen_today):
    licence = make_licence("LIC-SMALL", [(dy, "100", "kg")])
    shipment = services.shipment_save(
        supplier=supplier, licence=licence, reference="BL-9", lines=[{"item": dy, "quantity": "100", "unit": "kg"}]
    )
    licence.refresh_from_db()
    assert licence.status == "exhausted"
    client.force_login(admin_user)
    response = client.post(f"/admin/shipments/shipment/{shipment.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    licence.refresh_from_db()
    assert licence.status == "active" and not Shipment.objects.exists()
