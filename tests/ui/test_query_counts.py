"""Every list page and the dashboard cost a bounded number of queries, the same for 1x or 3x
the rows (no query per row): docs/benchmarks.md asks ≤ 20 for the dashboard."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import (
    ApplicationFactory,
    ApplicationLineFactory,
    LicenceFactory,
    LicenceLineFactory,
    PolicyEventFactory,
    PurchaseOrderFactory,
    PurchaseOrderLineFactory,
    ShipmentFactory,
    ShipmentLineFactory,
    SupplierFactory,
)

PAGES = {
    "/": 22,  # +2: the supplier-portal panel (held reports, applications waiting on our papers)
    "/applications/": 14,
    "/applications/?status=open&overdue=on&sort=-due": 14,
    "/licences/": 12,
    "/shipments/?at_risk=on": 12,
    "/suppliers/": 10,
    "/purchase-orders/": 10,
    "/policy/?view=list": 10,
    # The month counts each event's impact on open items: rules, open lines, products, rates (exposure).
    "/policy/": 15,
}


def add_rows(scene, n: int) -> None:
    """n more of everything each page lists, including rows that land on every dashboard card."""
    item = scene.items["DY2O3"]
    start = ApplicationFactory._meta.model.objects.count()
    for i in range(start, start + n):
        supplier = SupplierFactory()
        app = ApplicationFactory(
            reference=f"UI-{i}-A",
            supplier=supplier,
            status="accepted",
            accepted_on=dt.date(2025, 8, 1),
            decision_due=dt.date(2025, 11, 1) if i % 2 else dt.date(2025, 12, 3),
            decision_working_days=None,
        )
        ApplicationLineFactory(application=app, item=item)
        ApplicationFactory(reference=f"UI-{i}-B", supplier=supplier, status="approved", decision_working_days=40 + i)
        licence = LicenceFactory(supplier=supplier, valid_from=dt.date(2025, 6, 1), valid_until=dt.date(2025, 12, 20))
        LicenceLineFactory(licence=licence, item=item, approved_quantity=Decimal("100"))
        LicenceLineFactory(licence=licence, item=scene.items["TB-METAL"], approved_quantity=Decimal("50"))
        shipment = ShipmentFactory(supplier=supplier, licence=licence, status="in_transit", eta=dt.date(2025, 11, 20))
        ShipmentLineFactory(shipment=shipment, item=item, quantity=Decimal("10"))
        po = PurchaseOrderFactory(supplier=supplier, at_risk=True)
        PurchaseOrderLineFactory(purchase_order=po, item=item)
        PolicyEventFactory(date=dt.date(2025, 12, 1) + dt.timedelta(days=i))


def count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_list_pages_and_the_dashboard_use_a_constant_bounded_number_of_queries(
    scene, compliance, client, django_assert_max_num_queries
):
    client.force_login(compliance)
    add_rows(scene, 3)
    small = {url: count(client, url) for url in PAGES}
    add_rows(scene, 6)
    for url, bound in PAGES.items():
        with django_assert_max_num_queries(bound):
            client.get(url)
        assert count(client, url) == small[url], url


@pytest.mark.django_db
def test_detail_pages_are_bounded_too(scene, compliance, client, django_assert_max_num_queries):
    client.force_login(compliance)
    urls = [
        f"/applications/{scene.apps['due'].pk}/",
        f"/licences/{scene.licences['long'].pk}/",
        f"/shipments/{scene.shipments['late'].pk}/",
        f"/suppliers/{scene.suppliers['baotou'].pk}/",
        f"/purchase-orders/{scene.orders['risk'].pk}/",
    ]
    for url in urls:
        with django_assert_max_num_queries(25):
            assert client.get(url).status_code == 200
