"""Two ERP clients writing the same record at the same instant with the same ETag: the row lock
taken before the If-Match check lets exactly one through; the other gets 412 (PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from suppliers.models import Supplier
from tests.factories import SupplierFactory

from .conftest import key_client


@pytest.mark.postgres
def test_concurrent_writes_with_the_same_etag_let_one_through(requires_postgres, transactional_db):
    supplier = SupplierFactory(name="Ganzhou")
    clients = [key_client("write", "sap-a"), key_client("write", "sap-b")]
    url = f"/api/v1/suppliers/{supplier.pk}/"
    etag = clients[0].get(url)["ETag"]
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def write(client, note: str) -> None:
        try:
            barrier.wait()
            statuses.append(client.patch(url, {"notes": note}, HTTP_IF_MATCH=etag).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(c, f"note {i}")) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(statuses) == [200, 412]
    assert Supplier.objects.get().notes in {"note 0", "note 1"}
