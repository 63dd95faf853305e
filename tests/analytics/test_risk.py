"""Purchase orders at risk (docs/analytics.md) at and around the boundary, and the scorecard."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from licensing.models import ApplicationStatus
from shipments.risk import decision_to_arrival_times, purchase_orders_refresh_risk, supplier_scorecard
from shipments.tasks import analytics_refresh_task
from suppliers.models import PurchaseOrder
from tests.factories import (
    ApplicationFactory,
    ApplicationLineFactory,
    ControlledItemFactory,
    LicenceFactory,
    PurchaseOrderFactory,
    PurchaseOrderLineFactory,
    ShipmentFactory,
)

from .conftest import make_decided

S = ApplicationStatus
D = dt.date
TODAY = D(2025, 11, 3)  # a Monday


@pytest.fixture(autouse=True)
def _today(settings):
    settings.DEFAULT_DECISION_TO_ARRIVAL_DAYS = 50
    settings.PREDICTION_MIN_SAMPLE = 3
    with time_machine.travel(dt.datetime(2025, 11, 3, 4, tzinfo=dt.UTC), tick=False):
        yield


def arrived(supplier, *, decided_on, days, via="licence", **extra):
    """An arrived shipment ``days`` after its licence decision (via the licence or the PO)."""
    app = ApplicationFactory(supplier=supplier, status=S.APPROVED, decided_on=decided_on)
    arrival = decided_on + dt.timedelta(days=days)
    if via == "licence":
        licence = LicenceFactory(supplier=supplier, application=app)
        return ShipmentFactory(
            supplier=supplier, licence=licence, arrived_on=arrival, planned_ship_date=None, eta=None,
            **{"status": "delivered", **extra},
        )
    po = PurchaseOrderFactory(supplier=supplier, status="closed")
    app.purchase_order = po
    app.save()
    return ShipmentFactory(
        supplier=supplier, purchase_order=po, arrived_on=arrival, planned_ship_date=None, eta=None,
        **{"status": "delivered", **extra},
    )


@pytest.fixture
def alpha_arrivals(suppliers):
    a = suppliers["a"]
    arrived(a, decided_on=D(2025, 6, 1), days=30)
    arrived(a, decided_on=D(2025, 6, 10), days=40)
    arrived(a, decided_on=D(2025, 6, 20), days=44)
    arrived(a, decided_on=D(2025, 8, 1), days=20, via="purchase_order")
    arrived(a, decided_on=D(2025, 8, 1), days=-3)  # arrived before the decision: left out
    arrived(a, decided_on=D(2025, 8, 1), days=1, status="cancelled")  # cancelled: left out


def test_typical_decision_to_arrival_is_the_median_over_arrivals(alpha_arrivals, suppliers):
    times = decision_to_arrival_times()
    # [20, 30, 40, 44]: median 35.
    assert (times[suppliers["a"].pk].days, times[suppliers["a"].pk].sample_size) == (35, 4)
    assert suppliers["b"].pk not in times  # no history: the default applies


def po_with_app(supplier, needed_by, **app_fields):
    po = PurchaseOrderFactory(supplier=supplier, needed_by=needed_by)
    ApplicationFactory(supplier=supplier, purchase_order=po, **app_fields)
    return po


def risk(po):
    po = PurchaseOrder.objects.get(pk=po.pk)
    return po.at_risk, po.expected_arrival


def test_an_approved_application_uses_its_actual_decision(alpha_arrivals, suppliers):
    a = suppliers["a"]
    # Decided 1 November + 35 days = 6 December.
    on_time = po_with_app(a, D(2025, 12, 6), status=S.APPROVED, decided_on=D(2025, 11, 1))
    late = po_with_app(a, D(2025, 12, 5), status=S.APPROVED, decided_on=D(2025, 11, 1))
    assert purchase_orders_refresh_risk() == 2
    assert risk(on_time) == (False, D(2025, 12, 6))  # arriving on the needed-by day is in time
    assert risk(late) == (True, D(2025, 12, 6))


def test_an_open_application_uses_its_p50_and_the_latest_one_counts(alpha_arrivals, suppliers):
    a = suppliers["a"]
    # p50 1 December + 35 days = 5 January.
    boundary = po_with_app(a, D(2026, 1, 5), status=S.ACCEPTED, predicted_decision_p50=D(2025, 12, 1))
    one_day_short = po_with_app(a, D(2026, 1, 4), status=S.ACCEPTED, predicted_decision_p50=D(2025, 12, 1))
    two_apps = po_with_app(a, D(2026, 1, 5), status=S.ACCEPTED, predicted_decision_p50=D(2025, 12, 1))
    # A second, later application on the same order; a withdrawn one does not count.
    ApplicationFactory(supplier=a, purchase_order=two_apps, status=S.SUBMITTED, predicted_decision_p50=D(2025, 12, 2))
    ApplicationFactory(supplier=a, purchase_order=two_apps, status=S.WITHDRAWN, predicted_decision_p50=D(2026, 6, 1))
    purchase_orders_refresh_risk()
    assert risk(boundary) == (False, D(2026, 1, 5))
    assert risk(one_day_short) == (True, D(2026, 1, 5))
    assert risk(two_apps) == (True, D(2026, 1, 6))


def test_a_supplier_without_history_gets_the_default(suppliers):
    po = po_with_app(suppliers["b"], D(2025, 12, 21), status=S.ACCEPTED, predicted_decision_p50=D(2025, 11, 1))
    purchase_orders_refresh_risk()
    assert risk(po) == (False, D(2025, 12, 21))  # 1 November + 50 days (the setting)


def test_an_unknown_prediction_flags_nothing(suppliers):
    po = po_with_app(suppliers["a"], D(2025, 11, 4), status=S.ACCEPTED, predicted_decision_p50=None)
    purchase_orders_refresh_risk()
    assert risk(po) == (False, None)


def test_an_order_without_application_is_predicted_as_filed_today(items, suppliers):
    a, b = suppliers["a"], suppliers["b"]
    for _ in range(3):  # accepted 3 days after filing, decided in 10 working days
        make_decided(supplier=a, items=[items["dy"]], accepted_on=D(2025, 3, 3), working_days=10)
    unfiled = PurchaseOrderFactory(supplier=b, needed_by=D(2026, 1, 8))
    in_time = PurchaseOrderFactory(supplier=b, needed_by=D(2026, 1, 9))
    PurchaseOrderLineFactory(purchase_order=in_time, item=items["dy"])
    PurchaseOrderLineFactory(purchase_order=unfiled, item=items["dy"])
    late = PurchaseOrderFactory(supplier=b, needed_by=D(2026, 1, 7))
    PurchaseOrderLineFactory(purchase_order=late, item=items["dy"])
    # A rejected application is no licence: the order waits for a new one, as if filed today.
    refiled = po_with_app(b, D(2026, 1, 7), status=S.REJECTED, decided_on=D(2025, 10, 1))
    PurchaseOrderLineFactory(purchase_order=refiled, item=items["dy"])
    free = PurchaseOrderFactory(supplier=b, needed_by=D(2025, 11, 4))
    PurchaseOrderLineFactory(purchase_order=free, item=ControlledItemFactory(code="NOLIC", licensing_required=False))
    closed = PurchaseOrderFactory(supplier=b, needed_by=D(2025, 11, 4), status="closed")
    PurchaseOrderLineFactory(purchase_order=closed, item=items["dy"])
    purchase_orders_refresh_risk()
    # Filed Monday 3 November, accepted Thursday 6, decided 10 working days later on
    # Thursday 20 November (element level: supplier b has no history), + 50 days default.
    assert risk(unfiled) == (True, D(2026, 1, 9))  # 9 January is after 8 January
    assert risk(in_time) == (False, D(2026, 1, 9))
    assert risk(late) == (True, D(2026, 1, 9))
    assert risk(refiled) == (True, D(2026, 1, 9))
    assert risk(free) == (False, None)  # nothing needs a licence
    assert risk(closed) == (False, None)  # closed orders are not assessed


def test_the_scorecard(items, suppliers):
    a = suppliers["a"]
    make_decided(supplier=a, items=[items["dy"]], accepted_on=D(2025, 3, 3), working_days=10)
    make_decided(supplier=a, items=[items["dy"]], accepted_on=D(2025, 3, 3), working_days=20, status=S.REJECTED)
    arrived(a, decided_on=D(2025, 6, 1), days=30)  # no ETA: not in the on-time share
    ShipmentFactory(supplier=a, status="delivered", planned_ship_date=D(2025, 9, 1), eta=D(2025, 10, 1),
                    arrived_on=D(2025, 10, 1))
    ShipmentFactory(supplier=a, status="delivered", planned_ship_date=D(2025, 9, 1), eta=D(2025, 10, 1),
                    arrived_on=D(2025, 10, 2))
    card = supplier_scorecard(a.pk)
    # The approval behind the arrival has no acceptance date: not a delay observation.
    assert (card["decided"], card["approval_rate"], card["median_working_days"]) == (2, 0.5, 15)
    assert (card["shipments_arrived"], card["on_time_share"]) == (2, 0.5)
    assert (card["decision_to_arrival_days"], card["decision_to_arrival_sample"]) == (30, 1)
    empty = supplier_scorecard(suppliers["b"].pk)
    assert (empty["decided"], empty["on_time_share"], empty["decision_to_arrival_days"]) == (0, None, 50)


def test_the_tasks_refresh_predictions_then_risk(items, suppliers):
    a = suppliers["a"]
    for wd in (10, 10, 10):
        make_decided(supplier=a, items=[items["dy"]], accepted_on=D(2025, 3, 3), working_days=wd)
    po = PurchaseOrderFactory(supplier=a, needed_by=D(2025, 12, 1))
    app = ApplicationFactory(supplier=a, purchase_order=po, status=S.ACCEPTED, accepted_on=D(2025, 10, 27))
    ApplicationLineFactory(application=app, item=items["dy"])
    assert analytics_refresh_task.apply().get() == {"predictions": 1, "purchase_orders": 1}
    # Accepted Monday 27 October + 10 working days = Monday 10 November; + 50 days default.
    assert risk(po) == (True, D(2025, 12, 30))


def test_risk_refresh_queries_do_not_grow_with_orders(items, suppliers):
    def add_orders(n):
        for _ in range(n):
            po = po_with_app(suppliers["a"], D(2025, 12, 1), status=S.ACCEPTED, predicted_decision_p50=D(2025, 11, 20))
            PurchaseOrderLineFactory(purchase_order=po, item=items["dy"])
            unfiled = PurchaseOrderFactory(supplier=suppliers["b"], needed_by=D(2025, 12, 1))
            PurchaseOrderLineFactory(purchase_order=unfiled, item=items["tb"])

    def count():
        PurchaseOrder.objects.update(at_risk=False, expected_arrival=None)  # every row changes
        with CaptureQueriesContext(connection) as ctx:
            purchase_orders_refresh_risk()
        return len(ctx.captured_queries)

    add_orders(2)
    small = count()
    add_orders(15)
    assert count() == small
