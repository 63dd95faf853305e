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


def test_an_event_touching_nothing_is_read_again_only_after_the_recheck_hours(subscribers, monkeypatch, settings):
    """The book is read when a lead is crossed; while the event touches nothing, again only every
    ALERT_POLICY_IMPACT_RECHECK_HOURS, and an order added meanwhile is alerted at the recheck."""
    from exposure.impact import OpenBook

    settings.ALERT_POLICY_IMPACT_RECHECK_HOURS = 6
    world = build_rules()  # the expiry event (10 Nov) names holmium; nothing open holds any yet
    loads = []
    real = OpenBook.load.__func__
    monkeypatch.setattr(OpenBook, "load", classmethod(lambda cls, *a, **kw: loads.append(1) or real(cls, *a, **kw)))
    with at(2026, 10, 11, hour=4):  # 30 days before: read, nothing touched
        services.run_scan()
    assert impact_alerts() == [] and len(loads) == 1
    build_book(world)  # open orders, a shipment and an application of holmium arrive
    with at(2026, 10, 11, hour=9):  # 5 hours later: not read again
        services.run_scan()
    assert impact_alerts() == [] and len(loads) == 1
    with at(2026, 10, 11, hour=11):  # 7 hours after the first read: read again, alerted
        services.run_scan()
    [alert] = impact_alerts()
    assert alert.subject_id == world.expiry.pk and alert.lead == 30 and len(loads) == 2
    with at(2026, 10, 12, hour=4):  # alerted at this lead: not read until the next lead
        services.run_scan()
    assert len(impact_alerts()) == 1 and len(loads) == 2


def test_a_scan_with_an_untouched_event_in_its_lead_costs_no_more_queries(subscribers):
    """A scan with nothing new reads no open line for an event already checked: the same queries
    as a scan with no policy event at all in its lead."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    build_rules()

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            services.run_scan()
        return len(ctx.captured_queries)

    with at(2026, 9, 1):  # no lead crossed (70 days before)
        services.run_scan()
        quiet = queries()
    with at(2026, 10, 11):  # 30 days before: the first scan reads the book
        services.run_scan()
        in_lead = queries()
    assert in_lead == quiet
