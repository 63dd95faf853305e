"""ETag/If-Match (412 when stale), Idempotency-Key (replay, 422, purge), and incremental sync
with updated_since and page-number pagination."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from core.api.idempotency import idempotency_records_purge
from core.models import IdempotencyRecord
from shipments.models import Shipment
from suppliers.models import Supplier
from tests.factories import SupplierFactory

from .conftest import NOW, assert_error, key_client

pytestmark = pytest.mark.django_db


# --- ETag / If-Match ------------------------------------------------------------------------------


def test_a_stale_if_match_answers_412_and_changes_nothing(erp, supplier):
    url = f"/api/v1/suppliers/{supplier.pk}/"
    etag = erp.get(url)["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    # Two clients read the same version; the first write wins ...
    r = erp.patch(url, {"notes": "first"}, HTTP_IF_MATCH=etag)
    assert r.status_code == 200, r.json()
    assert r["ETag"] != etag
    # ... the second, based on the old version, is told so.
    assert_error(erp.patch(url, {"notes": "second"}, HTTP_IF_MATCH=etag), 412, code="precondition_failed")
    assert_error(erp.put(url, {"name": "X"}, HTTP_IF_MATCH=etag), 412)
    assert Supplier.objects.get().notes == "first"
    # With the new ETag (weak form accepted too) it goes through.
    assert erp.patch(url, {"notes": "second"}, HTTP_IF_MATCH=f"W/{r['ETag']}").status_code == 200


def test_writes_without_if_match_or_with_a_star_go_through(erp, supplier):
    url = f"/api/v1/suppliers/{supplier.pk}/"
    assert erp.patch(url, {"notes": "a"}).status_code == 200
    assert erp.patch(url, {"notes": "b"}, HTTP_IF_MATCH="*").status_code == 200


def test_the_etag_follows_the_representation_not_just_the_row(erp, supplier, licence, frozen):
    url = f"/api/v1/licences/{licence.pk}/"
    before = erp.get(url)["ETag"]
    erp.post(
        "/api/v1/shipments/",
        {"reference": "B", "supplier": supplier.pk, "licence": licence.pk, "lines": [{"item": "DY", "quantity": "10"}]},
    )
    # The licence row did not change, its balance did: so does its ETag.
    assert erp.get(url)["ETag"] != before
    assert_error(erp.patch(url, {"notes": "x"}, HTTP_IF_MATCH=before), 412)


def test_upsert_by_ref_honours_if_match(erp):
    r = erp.put("/api/v1/suppliers/by-ref/V-1/", {"name": "A"})
    etag = r["ETag"]
    erp.put("/api/v1/suppliers/by-ref/V-1/", {"name": "B"}, HTTP_IF_MATCH=etag)
    assert_error(erp.put("/api/v1/suppliers/by-ref/V-1/", {"name": "C"}, HTTP_IF_MATCH=etag), 412)
    assert_error(erp.put("/api/v1/suppliers/by-ref/V-2/", {"name": "D"}, HTTP_IF_MATCH=etag), 412)
    assert list(Supplier.objects.values_list("name", flat=True)) == ["B"]


# --- Idempotency-Key --------------------------------------------------------------------------------


def test_a_repeated_post_returns_the_first_answer_and_creates_nothing(erp, supplier, licence, frozen):
    body = {
        "reference": "BL-7",
        "supplier": supplier.pk,
        "licence": licence.pk,
        "lines": [{"item": "DY", "quantity": "600"}],
    }
    first = erp.post("/api/v1/shipments/", body, HTTP_IDEMPOTENCY_KEY="7f9c-1")
    assert first.status_code == 201, first.json()
    again = erp.post("/api/v1/shipments/", body, HTTP_IDEMPOTENCY_KEY="7f9c-1")
    # Not a 409 over-draw: the first answer, replayed.
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Shipment.objects.count() == 1


def test_the_same_key_with_another_body_answers_422(erp, supplier):
    erp.post("/api/v1/suppliers/", {"name": "A"}, HTTP_IDEMPOTENCY_KEY="k1")
    assert_error(
        erp.post("/api/v1/suppliers/", {"name": "B"}, HTTP_IDEMPOTENCY_KEY="k1"), 422, code="idempotency_key_reused"
    )
    assert_error(erp.post("/api/v1/purchase-orders/", {"name": "A"}, HTTP_IDEMPOTENCY_KEY="k1"), 422)
    assert Supplier.objects.filter(name="B").count() == 0


def test_a_failed_post_keeps_no_record_so_the_fixed_request_can_reuse_the_key(erp):
    assert_error(erp.post("/api/v1/suppliers/", {"name": ""}, HTTP_IDEMPOTENCY_KEY="k2"), 400, "name")
    r = erp.post("/api/v1/suppliers/", {"name": "Fixed"}, HTTP_IDEMPOTENCY_KEY="k2")
    assert r.status_code == 201


def test_keys_are_scoped_per_api_key(erp):
    other = key_client("write", "oracle")
    erp.post("/api/v1/suppliers/", {"name": "A"}, HTTP_IDEMPOTENCY_KEY="shared")
    assert other.post("/api/v1/suppliers/", {"name": "B"}, HTTP_IDEMPOTENCY_KEY="shared").status_code == 201
    assert Supplier.objects.count() == 2


def test_a_request_still_in_progress_answers_409(erp):
    erp.post("/api/v1/suppliers/", {"name": "A"}, HTTP_IDEMPOTENCY_KEY="busy")
    IdempotencyRecord.objects.update(response_status=0, response_body=None)  # as if the first were running
    assert_error(
        erp.post("/api/v1/suppliers/", {"name": "A"}, HTTP_IDEMPOTENCY_KEY="busy"), 409, code="idempotency_in_progress"
    )


def test_records_are_kept_24_hours_then_purged(erp):
    with time_machine.travel(NOW, tick=False) as clock:
        erp.post("/api/v1/suppliers/", {"name": "A"}, HTTP_IDEMPOTENCY_KEY="old")
        clock.shift(dt.timedelta(hours=23))
        erp.post("/api/v1/suppliers/", {"name": "B"}, HTTP_IDEMPOTENCY_KEY="new")
        assert idempotency_records_purge() == 0
        clock.shift(dt.timedelta(hours=2))
        assert idempotency_records_purge() == 1
        assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]


# --- updated_since and pagination ------------------------------------------------------------------


def test_updated_since_pages_through_changes_in_a_stable_order(erp):
    with time_machine.travel(NOW, tick=False) as clock:
        old = SupplierFactory(name="Z old")
        clock.shift(dt.timedelta(hours=1))
        same_instant = [SupplierFactory(name=f"{c} same") for c in "CBA"]
        clock.shift(dt.timedelta(hours=1))
        old.notes = "touched"
        old.save()
    since = (NOW + dt.timedelta(minutes=30)).isoformat()
    r = erp.get("/api/v1/suppliers/", {"updated_since": since, "page_size": 2})
    assert r.status_code == 200
    page1 = r.json()
    assert page1["count"] == 4 and page1["previous"] is None and page1["next"]
    page2 = erp.get(page1["next"]).json()
    seen = [s["id"] for s in page1["results"] + page2["results"]]
    # updated_at, then id: equal instants come in id order; the touched row comes last.
    assert seen == [*(s.pk for s in same_instant), old.pk]
    assert erp.get("/api/v1/suppliers/", {"updated_since": "2031-01-01T00:00:00Z"}).json()["count"] == 0
    assert_error(erp.get("/api/v1/suppliers/", {"updated_since": "last tuesday"}), 400, "updated_since")
    # Offsets PostgreSQL would refuse are compared in UTC (found by schemathesis).
    assert erp.get("/api/v1/suppliers/", {"updated_since": "2025-12-01T20:00:00+21:00"}).json()["count"] == 4


def test_pages_are_at_most_500_and_a_page_past_the_end_is_a_404(erp):
    SupplierFactory.create_batch(3)
    r = erp.get("/api/v1/suppliers/", {"page_size": 10000})
    assert r.status_code == 200 and len(r.json()["results"]) == 3
    assert set(r.json()) == {"count", "next", "previous", "results"}
    assert_error(erp.get("/api/v1/suppliers/", {"page": 9}), 404, code="not_found")


def test_the_purge_command_deletes_old_records(erp):
    from io import StringIO

    from django.core.management import call_command

    with time_machine.travel(NOW, tick=False) as clock:
        erp.post("/api/v1/suppliers/", {"name": "A"}, HTTP_IDEMPOTENCY_KEY="old")
        clock.shift(dt.timedelta(hours=25))
        out = StringIO()
        call_command("purge_idempotency_records", stdout=out)
    assert "Deleted 1 " in out.getvalue() and not IdempotencyRecord.objects.exists()
