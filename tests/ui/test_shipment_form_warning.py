"""The new-shipment form warns on the spot when the shipment is planned to ship after its
still-valid licence ends (saved, flagged), and refuses one on an expired licence."""

import datetime as dt

import pytest

from shipments.models import Shipment

from .test_workflow_and_forms import _lines

pytestmark = pytest.mark.django_db


def form_data(scene, licence, ships_on: dt.date, reference: str) -> dict:
    return {
        "reference": reference,
        "supplier": scene.suppliers["baotou"].pk,
        "status": "planned",
        "planned_ship_date": ships_on.isoformat(),
        "eta": (ships_on + dt.timedelta(days=30)).isoformat(),
        "licence": licence.pk,
        **_lines("lines", [{"item": str(scene.items["DY2O3"].pk), "quantity": "10", "unit": "kg"}]),
    }


def test_a_shipment_planned_after_its_licence_ends_is_saved_and_the_user_warned_at_once(
    scene, procurement, client
):
    licence = scene.licences["expiring"]
    client.force_login(procurement)
    ships_on = licence.valid_until + dt.timedelta(days=5)
    response = client.post("/shipments/new/", form_data(scene, licence, ships_on, "BL-LATE-SHIP"), follow=True)
    page = response.content.decode()
    shipment = Shipment.objects.get(reference="BL-LATE-SHIP")
    assert response.redirect_chain[-1][0] == f"/shipments/{shipment.pk}/"
    assert f"after licence {licence.number} ends ({licence.valid_until:%Y-%m-%d})" in page
    assert "ship earlier or assign another licence" in page


def test_a_shipment_within_the_licence_brings_no_warning(scene, procurement, client):
    licence = scene.licences["expiring"]
    client.force_login(procurement)
    ships_on = licence.valid_until - dt.timedelta(days=1)
    page = client.post("/shipments/new/", form_data(scene, licence, ships_on, "BL-IN-TIME"), follow=True)
    assert Shipment.objects.filter(reference="BL-IN-TIME").exists()
    assert "ship earlier or assign another licence" not in page.content.decode()
