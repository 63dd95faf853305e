"""policy_event_impact: an alert before a policy event that touches open items, its severity
by impact (docs/exposure.md)."""

import datetime as dt

import pytest

from licensing.models import PolicyEvent
from notifications import services
from notifications.models import Alert, Kind, Severity
from tests.exposure.helpers import build_book, build_rules

from .conftest import at

pytestmark = pytest.mark.django_db
D = dt.date


def impact_alerts():
    return list(Alert.objects.filter(kind=Kind.POLICY_EVENT_IMPACT).order_by("id"))


def test_it_alerts_at_the_events_lead_days_when_open_items_are_touched(subscribers):
    world = build_rules()
    build_book(world)
    quiet = PolicyEvent.objects.create(date=D(2026, 11, 12), title="Meeting", jurisdiction="G7", kind="meeting")
    with at(2026, 10, 1):  # 40 days before: no lead crossed
        services.run_scan()
    assert impact_alerts() == []
    with at(2026, 10, 11):  # 30 days before
        services.run_scan()
    [alert] = impact_alerts()
    assert alert.subject_id == world.expiry.pk and alert.lead == 30
    # A pending shipment of holmium is touched: critical.
    assert alert.severity == Severity.CRITICAL
    assert "touches 1 open orders, 1 shipments, 1 applications and 1 own products" in alert.message
    with at(2026, 10, 12):  # the same threshold again: no duplicate
        services.run_scan()
    assert len(impact_alerts()) == 1
    assert quiet.pk not in {a.subject_id for a in impact_alerts()}


def test_a_small_impact_is_a_warning(subscribers, settings):
    world = build_rules()
    book = build_book(world)
    book.shipment.delete()
    settings.ALERT_POLICY_IMPACT_CRITICAL = 10
    with at(2026, 11, 3):  # 7 days before
        services.run_scan()
    [alert] = impact_alerts()
    assert alert.lead == 7 and alert.severity == Severity.WARNING


def test_no_alert_when_nothing_open_is_touched(subscribers):
    build_rules()
    with at(2026, 11, 9):
        services.run_scan()
    assert impact_alerts() == []


def test_an_event_already_alerted_at_its_lead_does_not_read_the_open_book_again(subscribers, monkeypatch):
    from exposure.impact import OpenBook

    world = build_rules()
    build_book(world)
    loads = []
    real = OpenBook.load.__func__
    monkeypatch.setattr(OpenBook, "load", classmethod(lambda cls, *a, **kw: loads.append(1) or real(cls, *a, **kw)))
    with at(2026, 10, 11):  # 30 days before: read once, alerted
        services.run_scan()
    assert len(impact_alerts()) == 1 and len(loads) == 1
    with at(2026, 10, 12):  # the same lead: nothing new, the book is not read
        services.run_scan()
    assert len(impact_alerts()) == 1 and len(loads) == 1
    with at(2026, 11, 3):  # the next lead (7 days): read again, a second alert
        services.run_scan()
    assert len(impact_alerts()) == 2 and len(loads) == 2
