"""The incremental kinds of the scan (licence_low_balance, shipment_after_expiry): only licences
and shipments written since the previous completed scan are checked, through their indexed
``updated_at`` and a watermark stored with the scan's alerts. Nothing may be missed: a change
between two scans, a change committed after a scan started, an interrupted scan, a changed
setting, more changes than the incremental limit."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications import scan, services
from notifications.models import Alert, Kind, ScanWatermark
from shipments import services as shipment_services
from shipments.models import ShipmentStatus
from shipments.selectors import licences_and_shipments_changed_since
from tests.factories import (
    ControlledItemFactory,
    LicenceFactory,
    LicenceLineFactory,
    ShipmentFactory,
    ShipmentLineFactory,
    SupplierFactory,
)

from .conftest import at

pytestmark = pytest.mark.django_db
D = dt.date
T0 = dt.datetime(2025, 11, 3, 4, tzinfo=dt.UTC)  # a Monday, noon in Shanghai


def moment(t: dt.datetime):
    return time_machine.travel(t, tick=False)


def low_alerts() -> list[int]:
    return sorted(Alert.objects.filter(kind=Kind.LICENCE_LOW_BALANCE).values_list("subject_id", flat=True))


def after_alerts() -> list[int]:
    return sorted(Alert.objects.filter(kind=Kind.SHIPMENT_AFTER_EXPIRY).values_list("subject_id", flat=True))


@pytest.fixture
def licence_line(subscribers):
    """1,000 kg approved, 850 kg drawn: 15 % left (not low), written before the first scan."""
    with moment(T0 - dt.timedelta(days=3)):
        item = ControlledItemFactory(code="DY-OX")
        supplier = SupplierFactory()
        line = LicenceLineFactory(licence=LicenceFactory(supplier=supplier), item=item,
                                  approved_quantity=Decimal("1000"))
        shipment = ShipmentFactory(supplier=supplier, licence=line.licence, status=ShipmentStatus.IN_TRANSIT)
        ShipmentLineFactory(shipment=shipment, item=item, quantity=Decimal("850"))
    return line


def draw(line, quantity: str, *, when: dt.datetime, **shipment):
    """A new shipment on the line's licence, written at ``when``."""
    with moment(when):
        s = ShipmentFactory(supplier=line.licence.supplier, licence=line.licence, **shipment)
        ShipmentLineFactory(shipment=s, item=line.item, quantity=Decimal(quantity))
    return s


def test_the_first_scan_checks_everything_and_stores_the_watermark(licence_line):
    draw(licence_line, "60", when=T0 - dt.timedelta(days=2))  # 9 % left, long before any scan
    with moment(T0):
        services.run_scan()
    assert low_alerts() == [licence_line.pk]
    mark = ScanWatermark.objects.get(name=scan.WATERMARK)
    assert mark.scanned_at == T0 and mark.params == scan.watermark_params()


def test_a_change_between_two_scans_is_found(licence_line):
    with moment(T0):
        services.run_scan()
    assert low_alerts() == []
    draw(licence_line, "60", when=T0 + dt.timedelta(minutes=5))
    with moment(T0 + dt.timedelta(minutes=15)):
        assert services.run_scan().alerts == 1
    assert low_alerts() == [licence_line.pk]


def test_a_change_through_the_service_is_found(licence_line):
    """The same through shipment_save: more drawn on an existing shipment (its lines replaced)."""
    with moment(T0):
        services.run_scan()
    shipment = licence_line.licence.shipments.get()
    with moment(T0 + dt.timedelta(minutes=5)):
        shipment_services.shipment_save(
            shipment=shipment, lines=[{"item": licence_line.item, "quantity": "950", "unit": "kg"}]
        )
    with moment(T0 + dt.timedelta(minutes=15)):
        services.run_scan()
    assert low_alerts() == [licence_line.pk]


def test_a_change_committed_after_the_scan_started_is_found_thanks_to_the_overlap(licence_line, settings):
    """A transaction stamps updated_at when it writes, but the scan sees the row only once it
    commits: a row stamped 5 minutes before a scan's start and committed after it is invisible
    to that scan, so the next looks back ALERT_SCAN_OVERLAP_SECONDS before the watermark."""
    with moment(T0):
        services.run_scan()
    draw(licence_line, "60", when=T0 - dt.timedelta(minutes=5))  # stamped before, visible only now
    with moment(T0 + dt.timedelta(minutes=15)):
        services.run_scan()
    assert low_alerts() == [licence_line.pk]


def test_without_the_overlap_that_late_commit_would_be_missed(licence_line, settings):
    """The control of the test above: the overlap is what finds it."""
    settings.ALERT_SCAN_OVERLAP_SECONDS = 0
    with moment(T0):
        services.run_scan()
    draw(licence_line, "60", when=T0 - dt.timedelta(minutes=5))
    with moment(T0 + dt.timedelta(minutes=15)):
        services.run_scan()
    assert low_alerts() == []


def test_a_shortened_validity_finds_the_licences_shipments_planned_after_it(subscribers):
    with moment(T0 - dt.timedelta(days=3)):
        lic = LicenceFactory(valid_until=D(2026, 3, 31))
        later = ShipmentFactory(supplier=lic.supplier, licence=lic, planned_ship_date=D(2026, 2, 1),
                                eta=D(2026, 3, 1))
    with moment(T0):
        services.run_scan()
    assert after_alerts() == []
    with moment(T0 + dt.timedelta(minutes=5)):
        shipment_services.licence_change(licence=lic, valid_until=D(2026, 1, 15))
    with moment(T0 + dt.timedelta(minutes=15)):
        services.run_scan()
    assert after_alerts() == [later.pk]


def test_a_replanned_shipment_is_found(subscribers):
    with moment(T0 - dt.timedelta(days=3)):
        lic = LicenceFactory(valid_until=D(2026, 3, 31))
        shipment = ShipmentFactory(supplier=lic.supplier, licence=lic, planned_ship_date=D(2026, 2, 1),
                                   eta=D(2026, 5, 1))
    with moment(T0):
        services.run_scan()
    with moment(T0 + dt.timedelta(minutes=5)):
        shipment_services.shipment_save(shipment=shipment, planned_ship_date=D(2026, 4, 2))
    with moment(T0 + dt.timedelta(minutes=15)):
        services.run_scan()
    assert after_alerts() == [shipment.pk]


def _boom(*args, **kwargs):
    raise RuntimeError("the worker was killed")


@pytest.mark.parametrize("where", ["selector after low balance", "fan-out after the alerts were inserted"])
def test_an_interrupted_scan_is_completed_by_the_next(licence_line, monkeypatch, where):
    with moment(T0):
        services.run_scan()
    draw(licence_line, "60", when=T0 + dt.timedelta(minutes=5))
    with monkeypatch.context() as patch:
        if where.startswith("selector"):
            assert scan.SELECTORS.index(scan.licence_low_balance) < scan.SELECTORS.index(scan.shipment_late)
            patch.setattr(scan, "SELECTORS", tuple(_boom if s is scan.shipment_late else s for s in scan.SELECTORS))
        else:
            patch.setattr(services, "_fan_out", _boom)
        with moment(T0 + dt.timedelta(minutes=15)), pytest.raises(RuntimeError):
            services.run_scan()
    assert low_alerts() == []  # nothing half-made ...
    assert ScanWatermark.objects.get().scanned_at == T0  # ... and the watermark did not move
    with moment(T0 + dt.timedelta(hours=2)):  # well past the overlap: the watermark alone finds it
        services.run_scan()
    assert low_alerts() == [licence_line.pk]


def test_a_changed_share_checks_every_row(licence_line, settings):
    with moment(T0):
        services.run_scan()
    settings.ALERT_LOW_BALANCE_SHARE = 0.2  # 15 % left is now low, though no row changed
    with moment(T0 + dt.timedelta(hours=2)):
        services.run_scan()
    assert low_alerts() == [licence_line.pk]


def test_more_changes_than_the_limit_check_every_row(licence_line, settings):
    settings.ALERT_SCAN_INCREMENTAL_MAX = 2
    with moment(T0):
        services.run_scan()
    for _ in range(3):
        ShipmentFactory()  # three other shipments written: over the limit
    draw(licence_line, "60", when=T0 + dt.timedelta(minutes=5))
    with moment(T0 + dt.timedelta(minutes=15)):
        with CaptureQueriesContext(connection) as ctx:
            services.run_scan()
    assert low_alerts() == [licence_line.pk]
    assert any("licensing_licenceline ll" in q["sql"] for q in ctx.captured_queries)  # the full check ran


def test_the_changes_are_found_by_their_updated_at(licence_line):
    with moment(T0 + dt.timedelta(minutes=5)):
        other = LicenceFactory()
        moved = ShipmentFactory(licence=licence_line.licence, supplier=licence_line.licence.supplier)
        loose = ShipmentFactory()
    changes = licences_and_shipments_changed_since(T0, limit=10)
    assert changes.licences == {other.pk}
    assert changes.shipments == {moved.pk, loose.pk}
    assert changes.shipment_licences == {licence_line.licence_id}
    assert licences_and_shipments_changed_since(T0 + dt.timedelta(minutes=6), limit=10).licences == set()
    assert not licences_and_shipments_changed_since(T0 + dt.timedelta(minutes=6), limit=10)
    assert licences_and_shipments_changed_since(T0, limit=2) is None  # three changed: over the limit


def _all_queries(**kw) -> int:
    with CaptureQueriesContext(connection) as ctx:
        services.run_scan(**kw)
    return len(ctx.captured_queries)


def _estate(n: int, when: dt.datetime) -> None:
    """n licences with a line each, drawn by one shipment each, 40 % of them low already."""
    with moment(when):
        supplier, item = SupplierFactory(), ControlledItemFactory()
        for i in range(n):
            line = LicenceLineFactory(licence=LicenceFactory(supplier=supplier), item=item)
            shipment = ShipmentFactory(supplier=supplier, licence=line.licence, planned_ship_date=D(2026, 6, 1),
                                       eta=D(2026, 7, 1))  # after the licence's end: alerted once
            ShipmentLineFactory(shipment=shipment, item=item, quantity=Decimal("950" if i % 5 < 2 else "100"))


def test_a_scan_with_nothing_new_costs_the_same_few_queries_at_any_size(subscribers):
    """Everything a scan runs (maintenance included) counted, at 5 and at 40 licences and
    shipments: equal, and within docs/benchmarks.md's 20."""
    counts = []
    for n, day in ((5, 3), (35, 4)):
        _estate(n, dt.datetime(2025, 11, day, 1, tzinfo=dt.UTC))
        with at(2025, 11, day):
            services.run_scan()  # alerts what the new rows make due
            assert Alert.objects.filter(kind=Kind.SHIPMENT_AFTER_EXPIRY).exists()
        with at(2025, 11, day, hour=5):
            counts.append(_all_queries())
            assert services.run_scan().alerts == 0
    assert counts[0] == counts[1] <= 20
    assert Alert.objects.filter(kind=Kind.LICENCE_LOW_BALANCE).count() == 16  # 40 % of 40


def test_the_early_wake_up_leaves_the_watermark_alone(licence_line):
    with moment(T0):
        services.run_scan(maintenance=False, deadlines=False)
    assert not ScanWatermark.objects.exists()
