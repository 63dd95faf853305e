"""The ERP's incremental sync: a keyset cursor on (updated_at, id) that no concurrent edit,
insert or delete can make skip a row, and a deletions feed for what was deleted."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from core.api.pagination import cursor_encode
from core.models import Tombstone
from suppliers.models import Supplier
from tests.factories import SupplierFactory

from .conftest import NOW, assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_settle(settings):
    settings.API_SYNC_SETTLE_SECONDS = 0


def _sync(erp, clock, *, cursor=None, since=None, between_pages=()):
    """Page one run to the end, calling between_pages[i] after page i; returns (rows, cursor)."""
    params = {"page_size": 2}
    params.update({"cursor": cursor} if cursor else {"updated_since": since})
    r = erp.get("/api/v1/suppliers/", params)
    seen, i = {}, 0
    while True:
        assert r.status_code == 200, r.json()
        body = r.json()
        for row in body["results"]:
            seen[row["id"]] = row
        if i < len(between_pages):
            clock.shift(dt.timedelta(seconds=1))
            between_pages[i]()
        i += 1
        if not body["next"]:
            return seen, body["cursor"]
        r = erp.get(body["next"])


def test_it_sees_every_row_while_rows_are_edited_inserted_and_deleted_between_pages(erp, no_settle):
    with time_machine.travel(NOW, tick=False) as clock:
        rows = []
        for n in range(6):
            rows.append(SupplierFactory(name=f"S{n}"))
            clock.shift(dt.timedelta(seconds=1))
        first, doomed, later = rows[0], rows[4], rows[5]
        doomed_pk = doomed.pk

        def edit_seen_row():  # page-number pagination lost a row right here
            first.notes = "edited after page 1"
            first.save()

        def insert_and_edit_unseen():
            SupplierFactory(name="S-new")
            later.notes = "edited before it was reached"
            later.save()

        def delete_unseen():
            doomed.delete()

        seen, cursor = _sync(
            erp, clock, since="2025-01-01T00:00:00Z",
            between_pages=[edit_seen_row, insert_and_edit_unseen, delete_unseen],
        )
        # A second run from the stored cursor brings what changed behind the first one.
        clock.shift(dt.timedelta(seconds=1))
        again, cursor = _sync(erp, clock, cursor=cursor)
        seen.update(again)
        deleted = erp.get("/api/v1/deletions/", {"updated_since": "2025-01-01T00:00:00Z"}).json()["results"]

    # Every row that exists now was seen in its latest version; every row that no longer
    # exists is in the deletions feed.
    for supplier in Supplier.objects.all():
        assert seen[supplier.pk]["notes"] == supplier.notes, supplier
    assert [(d["model"], d["object_id"]) for d in deleted] == [("supplier", doomed_pk)]
    assert set(seen) - set(Supplier.objects.values_list("pk", flat=True)) <= {doomed_pk}
    # And a run with nothing new answers no rows and the same cursor.
    with time_machine.travel(NOW + dt.timedelta(minutes=5), tick=False):
        body = erp.get("/api/v1/suppliers/", {"cursor": cursor}).json()
    assert body["results"] == [] and body["cursor"] == cursor and body["next"] is None


def test_rows_changed_within_the_settle_window_wait_for_the_next_run(erp, settings):
    settings.API_SYNC_SETTLE_SECONDS = 60
    with time_machine.travel(NOW, tick=False) as clock:
        old = SupplierFactory(name="old")
        clock.shift(dt.timedelta(minutes=5))
        fresh = SupplierFactory(name="fresh")
        body = erp.get("/api/v1/suppliers/", {"updated_since": "2025-01-01T00:00:00Z"}).json()
        assert [r["id"] for r in body["results"]] == [old.pk]
        clock.shift(dt.timedelta(seconds=61))
        body = erp.get("/api/v1/suppliers/", {"cursor": body["cursor"]}).json()
        assert [r["id"] for r in body["results"]] == [fresh.pk]


def test_deletions_through_any_door_leave_a_tombstone_and_a_rollback_leaves_none(erp, supplier):
    url = f"/api/v1/suppliers/{supplier.pk}/"
    assert erp.delete(url).status_code == 204
    tomb = Tombstone.objects.get()
    assert (tomb.model, tomb.object_id, tomb.external_ref) == ("supplier", supplier.pk, supplier.external_ref)
    other = SupplierFactory(external_ref="V-9")
    Supplier.objects.filter(pk=other.pk).delete()  # a queryset delete (admin, UI) too
    assert Tombstone.objects.filter(object_id=other.pk, external_ref="V-9").exists()


def test_bad_cursors_and_page_sizes_are_400s_naming_the_parameter(erp):
    assert_error(erp.get("/api/v1/suppliers/", {"cursor": "not-a-cursor"}), 400, "cursor")
    assert_error(erp.get("/api/v1/suppliers/", {"cursor": "W1siYSJdXQ"}), 400, "cursor")
    assert_error(erp.get("/api/v1/suppliers/", {"page_size": "abc"}), 400, "page_size")
    assert_error(erp.get("/api/v1/suppliers/", {"page_size": "0"}), 400, "page_size")
    assert_error(erp.get("/api/v1/suppliers/", {"page": "x"}), 400, "page")
    good = cursor_encode(NOW, 1)
    assert erp.get("/api/v1/suppliers/", {"cursor": good}).status_code == 200
