"""Hand-built control rules for the exposure tests: the real shape of the reference data
(an Announcement No. 18 element, a No. 57 element and the No. 61 0.1 % class suspended by
No. 70 until 10 Nov 2026) without loading the whole catalogue."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from licensing.models import (
    ControlledItem,
    ControlWindow,
    Outcome,
    PendingDecision,
    PolicyEvent,
    Scenario,
    ScenarioOutcome,
)

D = dt.date
END = D(2026, 11, 10)


@dataclass
class World:
    dy: ControlledItem
    tb: ControlledItem
    ho: ControlledItem
    pct: ControlledItem
    decision: PendingDecision
    expiry: PolicyEvent
    ends: Scenario
    extended: Scenario


def build_rules() -> World:
    C, S = ControlWindow.Kind.CONTROLLED, ControlWindow.Kind.SUSPENDED
    dy = ControlledItem.objects.create(code="DY", name="Dysprosium items", elements="Dy", is_reference=True)
    tb = ControlledItem.objects.create(code="TB", name="Terbium items", elements="Tb", is_reference=True)
    ho = ControlledItem.objects.create(
        code="HO", name="Holmium items", elements="Ho", is_reference=True, licensing_required=False
    )
    pct = ControlledItem.objects.create(
        code="REE-0.1PCT", name="Foreign-made items, 0.1 %", is_reference=True, licensing_required=False
    )
    expiry = PolicyEvent.objects.create(
        date=END, title="Suspension under Announcement No. 70 ends", jurisdiction="CN", kind="expiry",
        elements="Ho",
    )
    expiry.items.set([ho])
    decision = PendingDecision.objects.create(code="no70", title="No. 70 ends", scheduled_end=END, event=expiry)
    for item in (dy, tb):
        ControlWindow.objects.create(item=item, kind=C, starts_on=D(2025, 4, 4), announcement="No. 18")
    ControlWindow.objects.create(item=ho, kind=C, starts_on=D(2025, 11, 8), announcement="No. 57")
    ControlWindow.objects.create(item=ho, kind=S, starts_on=D(2025, 11, 8), decision=decision, announcement="No. 70")
    ControlWindow.objects.create(item=pct, kind=C, starts_on=D(2025, 12, 1), announcement="No. 61")
    ControlWindow.objects.create(item=pct, kind=S, starts_on=D(2025, 11, 8), decision=decision, announcement="No. 70")
    ends = Scenario.objects.create(name="Suspension ends")
    ScenarioOutcome.objects.create(scenario=ends, decision=decision, outcome=Outcome.ENDS)
    extended = Scenario.objects.create(name="Extended by a year")
    ScenarioOutcome.objects.create(
        scenario=extended, decision=decision, outcome=Outcome.EXTENDED, extended_until=D(2027, 11, 10)
    )
    return World(dy, tb, ho, pct, decision, expiry, ends, extended)


@dataclass
class Book:
    po_ho: object
    po_dy: object
    po_closed: object
    shipment: object
    application: object
    motor: object
    sensor: object


def build_book(world: World) -> Book:
    """Open items: an order of 2 t Ho and 500 kg Dy, an order of Dy only, a closed Ho order
    (ignored), a planned shipment of Ho, a draft application for Ho, a motor at exactly 0.1 %
    China-origin Dy and a sensor with non-Chinese Ho."""
    from decimal import Decimal as Dec

    from exposure import services
    from shipments.models import Shipment, ShipmentLine
    from suppliers.models import PurchaseOrder, PurchaseOrderLine
    from tests.factories import ApplicationFactory, ApplicationLineFactory, SupplierFactory

    supplier = SupplierFactory(name="Ganzhou")
    po_ho = PurchaseOrder.objects.create(number="PO-HO", supplier=supplier, order_date=D(2026, 9, 1),
                                         needed_by=D(2027, 1, 31))
    PurchaseOrderLine.objects.create(purchase_order=po_ho, item_code="HO", quantity=Dec("2"), unit="t",
                                     unit_price=Dec("50000"), currency="USD")
    PurchaseOrderLine.objects.create(purchase_order=po_ho, item_code="DY", quantity=Dec("500"), unit="kg",
                                     unit_price=Dec("300"), currency="USD")
    po_dy = PurchaseOrder.objects.create(number="PO-DY", supplier=supplier, order_date=D(2026, 9, 1))
    PurchaseOrderLine.objects.create(purchase_order=po_dy, item_code="DY", quantity=Dec("100"), unit="kg",
                                     unit_price=Dec("310"), currency="EUR")
    po_closed = PurchaseOrder.objects.create(number="PO-OLD", supplier=supplier, order_date=D(2026, 1, 1),
                                             status="closed")
    PurchaseOrderLine.objects.create(purchase_order=po_closed, item_code="HO", quantity=Dec("9"), unit="t")
    shipment = Shipment.objects.create(supplier=supplier, purchase_order=po_ho, reference="BL-1", status="planned")
    ShipmentLine.objects.create(shipment=shipment, item=world.ho, quantity=Dec("1000"), unit="kg")
    application = ApplicationFactory(supplier=supplier, purchase_order=po_ho)
    ApplicationLineFactory(application=application, item=world.ho, quantity=Dec("1500"), unit="kg",
                           value=Dec("75000"), currency="USD")
    motor = services.product_save(
        sku="MTR-1", name="Motor", unit_value=Dec("1000"), currency="USD", destinations="US DE",
        contents=[{"element": "Dy", "mass_g": Dec("20"), "china_origin": True, "value": Dec("1.00")}],
    )
    sensor = services.product_save(
        sku="SEN-1", name="Sensor", unit_value=Dec("10"), currency="USD", destinations="JP",
        contents=[{"element": "Ho", "mass_g": Dec("1"), "china_origin": False, "value": Dec("1")}],
    )
    return Book(po_ho, po_dy, po_closed, shipment, application, motor, sensor)
