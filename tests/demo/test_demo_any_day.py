"""The demo is dated relative to the day it is loaded: on any date it shows a believable morning
(docs/architecture.md#demo), and nothing in it is dated where that is impossible."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import F, Q

from licensing import clock
from licensing.models import ApplicationEvent, Licence, LicenceApplication, LicenceStatus, PolicyEvent
from licensing.selectors import due_between_q, overdue_q
from shipments.models import Shipment, ShipmentStatus
from shipments.selectors import licences_expiring, purchase_orders_at_risk, shipments_held
from suppliers.models import PurchaseOrder
from tests.licensing.helpers import at

# Three very different mornings: a winter Thursday, the eve of a half-year, a Monday years on.
DAYS = [dt.date(2026, 1, 15), dt.date(2027, 6, 30), dt.date(2031, 3, 3)]

# The causes the at-risk rule names (shipments/risk.py), as its reasons word them.
CAUSES = {
    "late": lambda po: po.risk == "late",
    "no application yet": lambda po: po.risk == "at_risk" and "no application yet" in po.risk_reason,
    "decision predicted": lambda po: po.risk == "at_risk" and "is predicted after" in po.risk_reason,
    "shipment ETA": lambda po: po.risk == "at_risk" and po.risk_reason.split(": ", 1)[-1].startswith("shipment "),
    "licence runs out": lambda po: po.risk == "at_risk" and "runs out on" in po.risk_reason,
}


def _load(day: dt.date) -> None:
    with at(day):
        call_command("load_demo_data", stdout=StringIO())


@pytest.mark.parametrize("today", DAYS, ids=str)
@pytest.mark.django_db
def test_the_demo_shows_a_believable_morning_on_any_day(settings, today):
    settings.EMBEDDED = True
    _load(today)
    with at(today):
        assert clock.today() == today
        soon = clock.calendar().add_working_days(today, 10)
        apps = LicenceApplication.objects.all()
        assert apps.filter(overdue_q(today)).exists(), "an application late past its 45 working days"
        assert apps.filter(due_between_q(today, soon)).exists(), "one due within 10 working days"
        assert apps.filter(status="supplement_requested").exists(), "a supplement open"
        assert licences_expiring(today, 30).exists(), "a licence running out within 30 days"
        assert Licence.objects.filter(status=LicenceStatus.EXHAUSTED).exists(), "a licence used up"
        assert shipments_held().filter(customs_response_due__gt=today).exists(), "a hold with an answer due"

        at_risk = list(purchase_orders_at_risk())
        missing = [cause for cause, test in CAUSES.items() if not any(test(po) for po in at_risk)]
        assert not missing, (missing, [(po.number, po.risk_reason) for po in at_risk])
        # Every reason rests on a date that agrees with the order: "late" only once the need
        # date has passed, "at risk" only with the need date ahead.
        assert all(po.needed_by < today for po in at_risk if po.risk == "late")
        assert all(po.needed_by >= today for po in at_risk if po.risk == "at_risk")

        # The real policy calendar stays real: no policy event was moved or added by the demo.
        assert not PolicyEvent.objects.filter(is_reference=False).exists()


@pytest.mark.parametrize("today", DAYS, ids=str)
@pytest.mark.django_db
def test_nothing_in_the_demo_is_dated_where_that_is_impossible(settings, today):
    settings.EMBEDDED = True
    _load(today)
    apps = LicenceApplication.objects.all()
    for name in ("submitted_on", "accepted_on", "decided_on"):
        assert not apps.filter(**{f"{name}__gt": today}).exists(), f"{name} after today"
    assert not apps.filter(accepted_on__lt=F("submitted_on")).exists()
    assert not apps.filter(decided_on__lt=F("accepted_on")).exists()
    assert not ApplicationEvent.objects.filter(on__gt=today).exists()
    # Nothing happened before the rules it follows: the first step after No. 18 of 2025.
    assert not ApplicationEvent.objects.filter(on__lt=dt.date(2025, 4, 4)).exists()
    assert not Licence.objects.filter(valid_from__gt=today).exists()
    assert not Licence.objects.filter(valid_until__lt=F("valid_from")).exists()
    ships = Shipment.objects.all()
    assert not ships.filter(eta__lt=F("planned_ship_date")).exists(), "arrival before departure"
    assert not ships.filter(arrived_on__lt=F("actual_ship_date")).exists()
    assert not ships.filter(Q(actual_ship_date__gt=today) | Q(arrived_on__gt=today) | Q(held_on__gt=today)).exists()
    assert not ships.filter(status=ShipmentStatus.DELIVERED, arrived_on__isnull=True).exists()
    # Goods in transit or at destination customs have left (a hold is at export customs, before loading).
    assert not ships.filter(status__in=["in_transit", "at_customs"], actual_ship_date__isnull=True).exists()
    assert not ships.filter(status__in=["planned", "booked"], actual_ship_date__isnull=False).exists()
    assert not ships.filter(status="planned", planned_ship_date__lt=today).exists(), "a plan in the past"
    orders = PurchaseOrder.objects.all()
    assert not orders.filter(order_date__gt=today).exists()
    assert not orders.filter(needed_by__lt=F("order_date")).exists()
