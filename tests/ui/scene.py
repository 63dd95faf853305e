"""A realistic little world for the UI tests and the screenshots, built through the services
(the way users and ERPs build it), at a fixed "today" of Monday 1 December 2025 in China."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from licensing import services as ls
from licensing.models import ControlledItem, LicenceApplication, PolicyEvent
from shipments import services as ss
from shipments.models import Shipment
from suppliers import services as sup_services
from suppliers.models import PurchaseOrder, Supplier

NOW = dt.datetime(2025, 12, 1, 4, tzinfo=dt.UTC)  # noon in Shanghai
TODAY = dt.date(2025, 12, 1)


@dataclass
class Scene:
    items: dict[str, ControlledItem] = field(default_factory=dict)
    suppliers: dict[str, Supplier] = field(default_factory=dict)
    apps: dict[str, LicenceApplication] = field(default_factory=dict)
    licences: dict = field(default_factory=dict)
    shipments: dict[str, Shipment] = field(default_factory=dict)
    orders: dict[str, PurchaseOrder] = field(default_factory=dict)


def _app(
    scene: Scene,
    key: str,
    supplier: str,
    steps: list[tuple[str, str]],
    *,
    item: str = "DY2O3",
    qty: str = "500",
    licence: dict | None = None,
    **extra,
) -> LicenceApplication:
    events = [{"to": to, "on": on} for to, on in steps]
    if licence:
        events[-1]["licence"] = licence
    app = ls.application_create(
        supplier=scene.suppliers[supplier],
        end_user=extra.pop("end_user", "Motorenwerk Süd GmbH"),
        end_use="Traction motors for electric vehicles",
        destination_country=extra.pop("destination_country", "DE"),
        transport_mode="sea",
        kind="single",
        lines=[
            {
                "item": scene.items[item],
                "quantity": Decimal(qty),
                "unit": "kg",
                "value": Decimal("125000"),
                "currency": "USD",
            }
        ],
        events=events,
        **extra,
    )
    scene.apps[key] = app
    return app


def build_scene() -> Scene:
    """Call inside time_machine.travel(NOW)."""
    s = Scene()
    for code, name, elements in [
        ("DY2O3", "Dysprosium oxide", "Dy"),
        ("TB-METAL", "Terbium metal", "Tb"),
        ("NDFEB-DY", "NdFeB magnets containing Dy", "Dy Tb"),
    ]:
        s.items[code] = ControlledItem.objects.create(code=code, name=name, elements=elements, form="oxide")
    for key, name, local in [
        ("baotou", "Baotou Rare Earth Magnet Co.", "包头稀土磁材有限公司"),
        ("ganzhou", "Ganzhou Dysprosium Metals", "赣州镝金属有限公司"),
        ("ningbo", "Ningbo Permanent Magnetics", "宁波永磁材料有限公司"),
    ]:
        s.suppliers[key] = sup_services.supplier_save(
            name=name, local_name=local, country="CN", contact_name="Li Wei", contact_email=f"export@{key}.example.cn"
        )
    # Decided history (for the scorecard and the delay chart).
    history = [
        ("h1", "baotou", "2025-05-06", "2025-07-01", "approved"),
        ("h2", "baotou", "2025-06-03", "2025-08-12", "approved"),
        ("h3", "baotou", "2025-07-01", "2025-09-10", "rejected"),
        ("h4", "ganzhou", "2025-05-20", "2025-08-27", "approved"),
        ("h5", "ganzhou", "2025-06-16", "2025-09-30", "approved"),
        ("h6", "ningbo", "2025-06-10", "2025-07-30", "approved"),
    ]
    for key, supplier, accepted, decided, outcome in history:
        sub = (dt.date.fromisoformat(accepted) - dt.timedelta(days=5)).isoformat()
        _app(s, key, supplier, [("submitted", sub), ("accepted", accepted), (outcome, decided)])
    # The licence of h1, expiring within 30 days with balance left.
    s.licences["expiring"] = ls.licence_create(
        number="LIC-2025-0701",
        supplier=s.suppliers["baotou"],
        valid_from="2025-07-01",
        valid_until="2025-12-20",
        lines=[{"item": s.items["DY2O3"], "approved_quantity": Decimal("500"), "unit": "kg"}],
        application=s.apps["h1"],
    )
    s.licences["long"] = ls.licence_create(
        number="LIC-2025-0812",
        supplier=s.suppliers["baotou"],
        valid_from="2025-08-12",
        valid_until="2026-08-11",
        lines=[
            {"item": s.items["DY2O3"], "approved_quantity": Decimal("2000"), "unit": "kg"},
            {"item": s.items["TB-METAL"], "approved_quantity": Decimal("300"), "unit": "kg"},
        ],
        application=s.apps["h2"],
    )
    # Open applications: due soon, overdue, paused, submitted, draft.
    _app(s, "due", "baotou", [("submitted", "2025-09-22"), ("accepted", "2025-09-26")], external_ref="SAP-4711")
    _app(s, "overdue", "ganzhou", [("submitted", "2025-08-01"), ("accepted", "2025-08-06")], item="TB-METAL", qty="120")
    _app(
        s,
        "paused",
        "ningbo",
        [("submitted", "2025-09-01"), ("accepted", "2025-09-03"), ("supplement_requested", "2025-10-20")],
        item="NDFEB-DY",
        qty="2000",
    )
    _app(s, "submitted", "baotou", [("submitted", "2025-11-20")])
    _app(s, "draft", "ningbo", [], end_user="Denki Motors K.K.", destination_country="JP")
    # Shipments: late, held by customs, planned after the licence ends, and a fine one.
    s.shipments["late"] = ss.shipment_save(
        supplier=s.suppliers["baotou"],
        reference="COSU6281734",
        status="in_transit",
        transport_mode="sea",
        planned_ship_date=dt.date(2025, 10, 10),
        actual_ship_date=dt.date(2025, 10, 12),
        eta=dt.date(2025, 11, 20),
        licence=s.licences["long"],
        lines=[{"item": s.items["DY2O3"], "quantity": Decimal("800"), "unit": "kg"}],
    )
    s.shipments["held"] = ss.shipment_save(
        supplier=s.suppliers["baotou"],
        reference="MSKU1180032",
        status="held",
        transport_mode="sea",
        planned_ship_date=dt.date(2025, 11, 20),
        eta=dt.date(2026, 1, 5),
        held_on=dt.date(2025, 11, 26),
        licence=s.licences["long"],
        lines=[{"item": s.items["TB-METAL"], "quantity": Decimal("100"), "unit": "kg"}],
    )
    s.shipments["after_expiry"] = ss.shipment_save(
        supplier=s.suppliers["baotou"],
        reference="BL-PLAN-0042",
        status="planned",
        transport_mode="air",
        planned_ship_date=dt.date(2025, 12, 28),
        eta=dt.date(2026, 1, 2),
        licence=s.licences["expiring"],
        lines=[{"item": s.items["DY2O3"], "quantity": Decimal("200"), "unit": "kg"}],
    )
    s.shipments["fine"] = ss.shipment_save(
        supplier=s.suppliers["baotou"],
        reference="BL-OK-0001",
        status="delivered",
        transport_mode="sea",
        planned_ship_date=dt.date(2025, 8, 20),
        eta=dt.date(2025, 9, 30),
        arrived_on=dt.date(2025, 9, 28),
        licence=s.licences["long"],
        lines=[{"item": s.items["DY2O3"], "quantity": Decimal("400"), "unit": "kg"}],
    )
    s.orders["risk"] = ss.purchase_order_save(
        number="PO-2025-1187",
        supplier=s.suppliers["ganzhou"],
        order_date=dt.date(2025, 8, 1),
        needed_by=dt.date(2025, 12, 15),
        lines=[
            {
                "item": s.items["TB-METAL"],
                "quantity": Decimal("120"),
                "unit": "kg",
                "unit_price": Decimal("980"),
                "currency": "USD",
            }
        ],
    )
    # at_risk is written by the analytics' prediction refresh; set here as that refresh would.
    PurchaseOrder.objects.filter(pk=s.orders["risk"].pk).update(at_risk=True, expected_arrival=dt.date(2026, 1, 20))
    s.orders["ok"] = ss.purchase_order_save(
        number="PO-2025-1201",
        supplier=s.suppliers["baotou"],
        order_date=dt.date(2025, 9, 15),
        needed_by=dt.date(2026, 3, 31),
        lines=[
            {
                "item": s.items["DY2O3"],
                "quantity": Decimal("500"),
                "unit": "kg",
                "unit_price": Decimal("310"),
                "currency": "USD",
            }
        ],
    )
    for date, title, jur, kind, conf in [
        ("2025-12-10", "MOFCOM general licences for large exporters take effect", "CN", "licensing_practice", "medium"),
        ("2026-01-01", "Dual-use export ban for Japanese military end users", "CN", "effective", "high"),
        ("2026-11-10", "Suspension of MOFCOM Announcement No. 70 measures ends", "CN-US", "expiry", "high"),
        ("2025-10-09", "MOFCOM announces wider rare-earth controls", "CN", "announcement", "high"),
    ]:
        ls.policy_event_save(
            date=dt.date.fromisoformat(date),
            title=title,
            jurisdiction=jur,
            kind=kind,
            confidence=conf,
            summary="See the source for details.",
            source_title="MOFCOM",
            elements="Dy Tb",
        )
    return s


__all__ = ["NOW", "TODAY", "Scene", "build_scene", "PolicyEvent"]
