"""Two scans at the same moment on PostgreSQL: the second waits on the first's unique keys and
outbox claims, then creates nothing (docs/architecture.md#delivery-guarantees)."""

import datetime as dt
import threading
import time

import pytest
from django.db import connection, transaction

from licensing import services as licensing_services
from licensing.models import ApplicationStatus
from notifications import services
from notifications.models import Alert, Delivery
from tests.factories import ApplicationFactory, LicenceFactory, SupplierFactory

from .conftest import at


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_scan_overlapping_an_uncommitted_scan_creates_nothing_twice(subscribers, settings):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers, so two scans cannot overlap there")
    settings.ALERT_WAKE_ON_SIGNAL = False  # leave the timeline row to the two scans
    ApplicationFactory(status=ApplicationStatus.ACCEPTED, accepted_on=dt.date(2025, 8, 1),
                       decision_due=dt.date(2025, 12, 4))
    LicenceFactory(valid_until=dt.date(2025, 12, 20))
    with at(2025, 12, 8):
        licensing_services.application_create(supplier=SupplierFactory(), end_user="X", destination_country="DE",
                                              events=[{"to": "submitted", "on": "2025-12-01"}])
    second: dict = {}
    started = threading.Event()

    def other_scan():
        try:
            with at(2025, 12, 8):
                started.set()
                second["result"] = services.run_scan(maintenance=False)
        finally:
            connection.close()

    with at(2025, 12, 8), transaction.atomic():
        first = services.run_scan(maintenance=False)  # its rows stay uncommitted for now
        thread = threading.Thread(target=other_scan)
        thread.start()
        started.wait(5)
        time.sleep(1)  # the other scan is now blocked on our unique keys / outbox rows
        assert thread.is_alive()
    thread.join(30)
    # overdue, licence expiring, acceptance pending (5 working days since 1 December); the step,
    # dated before its application was entered, is processed but alerts nobody (back-loaded)
    assert (first.alerts, first.events) == (3, 1)
    assert (second["result"].alerts, second["result"].events, second["result"].deliveries) == (0, 0, [])
    assert Alert.objects.count() == 3
    assert Delivery.objects.count() == 6  # two subscribers x three kinds (status_changed is opt-in)
