"""Two concurrent writers cannot over-draw a licence line (docs/architecture.md#drawdown), on a real PostgreSQL.

Each thread has its own database connection (Django opens one per thread) and its own
transaction. Both wait at a barrier and then call shipment_save at the same moment, each
asking for 600 kg of a line with 1000 kg.

Why the lock matters: without ``select_for_update`` in shipments.services._licence_balances
both transactions would read the balance (1000 kg: neither sees the other's uncommitted
shipment under READ COMMITTED), both would pass the check and both would commit, leaving
-200 kg. With the lock, the second writer blocks on the licence lines' row locks until the
first commits; its next statement then sees the first shipment, finds 400 kg left and is
refused. ``test_without_the_lock_both_writers_over_draw`` removes the lock and shows the
over-draw happening, so the race in the first test is real and the lock is what stops it.
"""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connections
from django.db.models import QuerySet

from core.errors import ConflictError
from licensing import services as licensing_services
from licensing.models import LicenceLine
from shipments import selectors, services
from shipments.models import Shipment
from tests.factories import ControlledItemFactory, SupplierFactory
from tests.licensing.helpers import at

TIMEOUT = 20  # seconds a thread waits at a barrier before the test fails instead of hanging


def _setup():
    with at(dt.date(2025, 12, 1)):
        supplier = SupplierFactory()
        item = ControlledItemFactory(code="DY")
        licence = licensing_services.licence_create(
            number="LIC-RACE", supplier=supplier, valid_from="2025-06-01", valid_until="2026-05-31",
            lines=[{"item": item, "approved_quantity": "1000", "unit": "kg"}],
        )
    return supplier, item, licence


def _race(supplier, item, licence, barrier: threading.Barrier) -> tuple[list, list]:
    results: list = []
    errors: list = []

    def writer(n: int) -> None:
        try:
            barrier.wait(TIMEOUT)
            shipment = services.shipment_save(
                supplier=supplier, licence=licence, reference=f"BL-RACE-{n}", planned_ship_date=dt.date(2026, 1, 5),
                lines=[{"item": item, "quantity": Decimal("600"), "unit": "kg"}],
            )
            results.append(shipment.pk)
        except Exception as exc:  # collected and asserted on by the test
            errors.append(exc)
        finally:
            connections.close_all()  # this thread's own connection

    threads = [threading.Thread(target=writer, args=(n,)) for n in (1, 2)]
    with at(dt.date(2025, 12, 1)):  # while the licence is valid (time-machine travels every thread)
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(TIMEOUT * 2)
    assert not any(thread.is_alive() for thread in threads), "a writer hung"
    return results, errors


def _balance(licence) -> Decimal:
    return selectors.licence_lines_with_drawdown(LicenceLine.objects.filter(licence=licence)).get().balance


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_writers_cannot_over_draw_a_line(requires_postgres):
    supplier, item, licence = _setup()
    results, errors = _race(supplier, item, licence, threading.Barrier(2))

    assert len(results) == 1, errors
    assert len(errors) == 1 and isinstance(errors[0], ConflictError), errors
    assert "has 400 kg of DY left; this shipment asks for 600 kg" in str(errors[0])
    assert Shipment.objects.count() == 1
    assert _balance(licence) == 400


@pytest.mark.django_db(transaction=True)
def test_without_the_lock_both_writers_over_draw(requires_postgres, monkeypatch):
    supplier, item, licence = _setup()
    # Remove the lock, and make both writers read the balance before either writes: this is
    # the interleaving the lock exists to prevent.
    monkeypatch.setattr(QuerySet, "select_for_update", lambda self, *args, **kwargs: self)
    both_have_read = threading.Barrier(2)
    waited = threading.local()
    real = services.licence_lines_with_drawdown

    def read_then_wait(*args, **kwargs):
        rows = real(*args, **kwargs)
        if not getattr(waited, "done", False):  # the balance check: each writer's first read
            waited.done = True
            len(rows)  # evaluate now: the check then iterates these cached rows
            both_have_read.wait(TIMEOUT)
        return rows

    monkeypatch.setattr(services, "licence_lines_with_drawdown", read_then_wait)
    results, errors = _race(supplier, item, licence, threading.Barrier(2))

    assert errors == [] and len(results) == 2
    assert _balance(licence) == -200  # what the locked version above never allows
