"""Lists and details run a constant number of queries whatever the page size
(docs/architecture.md#api, docs/benchmarks.md): asserted at page sizes 1 and 100 for every list,
with a write key (one query authenticates)."""

from __future__ import annotations

import datetime as dt

import pytest

from licensing.models import ApplicationEvent
from shipments.models import CustomsAnswer, Shipment
from tests.factories import (
    ApplicationFactory,
    ApplicationLineFactory,
    ControlledItemFactory,
    LicenceLineFactory,
    PolicyEventFactory,
    PurchaseOrderLineFactory,
    ShipmentLineFactory,
    SupplierFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]

N = 101


@pytest.fixture
def many(supplier, dy, tb):
    items = [dy, tb]
    for i in range(N):
        ControlledItemFactory(code=f"X{i}", parent=dy)
        po = PurchaseOrderLineFactory(purchase_order__supplier=supplier, item=dy).purchase_order
        PurchaseOrderLineFactory(purchase_order=po, item=tb)
        licence = LicenceLineFactory(licence__supplier=supplier, item=dy).licence
        LicenceLineFactory(licence=licence, item=tb)
        shipment = ShipmentLineFactory(shipment__supplier=supplier, shipment__licence=licence, item=dy).shipment
        ShipmentLineFactory(shipment=shipment, item=tb)
        # An answer to its hold, so that each shipment represents one (from the prefetch).
        Shipment.objects.filter(pk=shipment.pk).update(status="held", held_on=dt.date(2025, 11, 28))
        CustomsAnswer.objects.create(shipment=shipment, held_on=dt.date(2025, 11, 28), text="Sent.", answered_by="A")
        app = ApplicationFactory(
            supplier=supplier, purchase_order=po, status="accepted", accepted_on=dt.date(2025, 9, 26)
        )
        for item in items:
            ApplicationLineFactory(application=app, item=item)
        ApplicationEvent.objects.create(
            application=app, from_status="draft", to_status="submitted", on=dt.date(2025, 9, 19), api_client="sap"
        )
        ApplicationEvent.objects.create(
            application=app, from_status="submitted", to_status="accepted", on=dt.date(2025, 9, 26)
        )
        PolicyEventFactory().items.set(items)
        SupplierFactory()


# Authentication (1), the throttle's count (1, without Redis), count (1), rows (1), then one
# per prefetch; applications add the working calendar (2 queries, once per request, not per
# row). docs/benchmarks.md allows applications 8 (+1 for the throttle without Redis).
LISTS = {
    "items": 4,
    "applications": 8,
    "policy-events": 5,
    "suppliers": 4,
    "purchase-orders": 5,
    "shipments": 6,  # lines and customs answers: two prefetches
    "licences": 5,
}


def test_lists_and_details_cost_the_same_queries_at_any_page_size(erp, many, django_assert_max_num_queries):
    erp.get("/api/v1/items/?page_size=1")  # the key's first use is recorded once: keep it out of the counts
    for resource, limit in LISTS.items():
        for size in (1, 100):
            with django_assert_max_num_queries(limit, info=f"{resource} page_size={size}"):
                r = erp.get(f"/api/v1/{resource}/", {"page_size": size})
            assert r.status_code == 200 and len(r.json()["results"]) == size, resource
            if resource == "shipments":
                assert all(row["customs_answer"]["text"] == "Sent." for row in r.json()["results"])
        first = r.json()["results"][-1]
        key = first["code"] if resource == "items" else first["id"]
        with django_assert_max_num_queries(limit - 1, info=f"{resource} detail"):  # no count(*)
            r = erp.get(f"/api/v1/{resource}/{key}/")
        assert r.status_code == 200, resource


@pytest.mark.parametrize("expand", ["", "events"])
def test_the_applications_list_from_rows_is_constant_with_and_without_the_timeline(erp, many, expand,
                                                                                   django_assert_max_num_queries):
    """Authentication, the throttle's count, count, rows, lines with their item codes, the
    calendar (2), and the timeline (expand=events) or the supplement steps of overdue rows: at
    most 8 at any size."""
    erp.get("/api/v1/items/?page_size=1")
    for size in (1, 100):
        with django_assert_max_num_queries(8, info=f"page_size={size} expand={expand}"):
            r = erp.get("/api/v1/applications/", {"page_size": size, "expand": expand})
        rows = r.json()["results"]
        assert len(rows) == size and all(("events" in row) == bool(expand) for row in rows)
    if expand:
        assert all(len(row["events"]) == 2 for row in rows)
