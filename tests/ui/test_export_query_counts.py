"""The list exports read their rows without a query per row: the same number of queries for
10 rows as for 50 (docs/benchmarks.md), in both formats."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import (
    LicenceFactory,
    LicenceLineFactory,
    PurchaseOrderFactory,
    PurchaseOrderLineFactory,
    ShipmentFactory,
    ShipmentLineFactory,
    SupplierFactory,
)

URLS = ["/shipments/", "/licences/", "/purchase-orders/"]


def add_rows(scene, n: int) -> None:
    item, other = scene.items["DY2O3"], scene.items["TB-METAL"]
    for _ in range(n):
        supplier = SupplierFactory()
        licence = LicenceFactory(supplier=supplier)
        LicenceLineFactory(licence=licence, item=item, approved_quantity=Decimal("100"))
        LicenceLineFactory(licence=licence, item=other, approved_quantity=Decimal("50"))
        shipment = ShipmentFactory(supplier=supplier, licence=licence)
        ShipmentLineFactory(shipment=shipment, item=item, quantity=Decimal("10"))
        ShipmentLineFactory(shipment=shipment, item=other, quantity=Decimal("2.5"))
        po = PurchaseOrderFactory(supplier=supplier)
        PurchaseOrderLineFactory(purchase_order=po, item=item)


def export(client, url: str, fmt: str) -> tuple[int, int]:
    """(queries, bytes) of one export, its streamed body read to the end."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(f"{url}?export={fmt}")
        assert response.status_code == 200
        size = sum(len(chunk) for chunk in response.streaming_content)
    return len(ctx.captured_queries), size


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_exports_cost_the_same_queries_for_10_and_50_rows(scene, viewer, client, fmt):
    client.force_login(viewer)
    add_rows(scene, 10)
    small = {url: export(client, url, fmt) for url in URLS}
    add_rows(scene, 40)
    for url in URLS:
        queries, size = export(client, url, fmt)
        assert queries == small[url][0], url
        assert size > small[url][1], url  # the 40 new rows are in it
