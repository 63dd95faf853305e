"""Purchase-order risk that is true: late vs at risk, and a reason naming the real cause."""

import datetime as dt

import pytest
import time_machine

from licensing.models import ApplicationStatus
from shipments.risk import purchase_orders_refresh_risk
from suppliers.models import PurchaseOrder
from tests.factories import (
    ApplicationFactory,
    ControlledItemFactory,
    LicenceFactory,
    PurchaseOrderFactory,
    PurchaseOrderLineFactory,
    ShipmentFactory,
)

S = ApplicationStatus
D = dt.date


@pytest.fixture(autouse=True)
def _today(settings, db):
    settings.DEFAULT_DECISION_TO_ARRIVAL_DAYS = 50
    settings.PREDICTION_MIN_SAMPLE = 3
    with time_machine.travel(dt.datetime(2025, 11, 3, 4, tzinfo=dt.UTC), tick=False):  # Mon 3 Nov 2025
        yield


def _po(**kw):
    po = PurchaseOrderFactory(**kw)
    PurchaseOrderLineFactory(purchase_order=po, item_code=ControlledItemFactory(code="DY-OX").code)
    return po


def _refreshed(po) -> PurchaseOrder:
    purchase_orders_refresh_risk()
    return PurchaseOrder.objects.get(pk=po.pk)


def test_an_order_needed_before_today_and_not_arrived_is_late_not_at_risk():
    po = _po(needed_by=D(2025, 10, 15))
    ShipmentFactory(supplier=po.supplier, purchase_order=po, status="in_transit", eta=D(2025, 11, 20))
    po = _refreshed(po)
    assert (po.risk, po.at_risk, po.expected_arrival) == ("late", True, D(2025, 11, 20))
    assert po.risk_reason.startswith("Needed by 15 Oct 2025 and not arrived")


def test_an_order_whose_goods_arrived_is_neither_late_nor_at_risk():
    po = _po(needed_by=D(2025, 10, 15))
    ShipmentFactory(supplier=po.supplier, purchase_order=po, status="delivered", eta=D(2025, 10, 20),
                    arrived_on=D(2025, 10, 22))
    po = _refreshed(po)
    assert (po.risk, po.at_risk, po.expected_arrival) == ("", False, D(2025, 10, 22))


def test_a_shipment_eta_after_the_need_date_is_the_cause_and_the_expected_arrival():
    po = _po(needed_by=D(2025, 12, 31))
    ShipmentFactory(supplier=po.supplier, purchase_order=po, reference="COSU1", status="booked",
                    planned_ship_date=D(2025, 12, 1), eta=D(2026, 3, 3))
    po = _refreshed(po)
    assert (po.risk, po.expected_arrival) == ("at_risk", D(2026, 3, 3))  # agrees with the shipment's ETA
    assert "shipment COSU1 is due on 3 Mar 2026" in po.risk_reason and "31 Dec 2025" in po.risk_reason


def test_a_shipment_eta_before_the_need_date_is_not_at_risk_even_with_a_late_prediction():
    po = _po(needed_by=D(2026, 1, 31))
    ApplicationFactory(supplier=po.supplier, purchase_order=po, status=S.ACCEPTED,
                       predicted_decision_p50=D(2026, 6, 1))
    ShipmentFactory(supplier=po.supplier, purchase_order=po, status="in_transit", eta=D(2026, 1, 10))
    po = _refreshed(po)
    assert (po.risk, po.expected_arrival) == ("", D(2026, 1, 10))


def test_a_predicted_decision_is_the_cause_when_nothing_has_shipped():
    po = _po(needed_by=D(2025, 12, 31))
    app = ApplicationFactory(supplier=po.supplier, purchase_order=po, status=S.ACCEPTED,
                             predicted_decision_p50=D(2025, 12, 10))
    po = _refreshed(po)
    assert (po.risk, po.expected_arrival) == ("at_risk", D(2026, 1, 29))  # 10 Dec + 50 days
    assert f"decision on {app.reference} is predicted after 10 Dec 2025" in po.risk_reason


def test_no_application_yet_is_the_cause_when_none_was_filed():
    po = _po(needed_by=D(2025, 11, 30))
    po = _refreshed(po)
    assert po.risk == "at_risk" and po.risk_reason.startswith("Needed by 30 Nov 2025")
    assert "no application yet" in po.risk_reason


def test_a_licence_running_out_before_the_shipment_ships_is_the_cause():
    po = _po(needed_by=D(2026, 3, 31))
    app = ApplicationFactory(supplier=po.supplier, purchase_order=po, status=S.APPROVED, decided_on=D(2025, 8, 1))
    licence = LicenceFactory(supplier=po.supplier, application=app, number="LIC-0801", valid_until=D(2025, 12, 20))
    ShipmentFactory(supplier=po.supplier, purchase_order=po, licence=licence, reference="BL-9", status="planned",
                    planned_ship_date=D(2025, 12, 28), eta=D(2026, 1, 30))
    po = _refreshed(po)
    assert po.risk == "at_risk"  # the ETA alone is before the need date: the licence is the cause
    assert "licence LIC-0801 runs out on 20 Dec 2025, before shipment BL-9 ships on 28 Dec 2025" in po.risk_reason


def test_an_approved_licence_is_never_blamed_on_a_predicted_decision():
    po = _po(needed_by=D(2025, 12, 1))
    ApplicationFactory(supplier=po.supplier, purchase_order=po, status=S.APPROVED, decided_on=D(2025, 8, 20),
                       predicted_decision_p50=D(2025, 9, 1))
    ShipmentFactory(supplier=po.supplier, purchase_order=po, reference="MSKU7", status="in_transit",
                    eta=D(2026, 3, 3))
    po = _refreshed(po)
    assert po.expected_arrival == D(2026, 3, 3) and "predicted" not in po.risk_reason
    assert "shipment MSKU7 is due on 3 Mar 2026" in po.risk_reason
