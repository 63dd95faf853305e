"""The impact of a policy event against hand-built open items (docs/exposure.md)."""

import datetime as dt
from decimal import Decimal as Dec

import pytest

from exposure.impact import impact_counts, impact_of
from licensing.models import PolicyEvent

from .helpers import build_book, build_rules

D = dt.date


@pytest.fixture
def world(db):
    return build_rules()


@pytest.fixture
def book(world):
    return build_book(world)


def test_the_end_of_the_suspension_touches_holmium_and_the_0_1_percent_rule(world, book):
    result = impact_of(world.expiry, scenario=world.ends)
    assert result.order_ids == [book.po_ho.id]  # the closed order is not open
    assert result.shipment_ids == [book.shipment.id]
    assert result.application_ids == [book.application.id]
    # The motor is at exactly 0.1 % of China-origin Dy when the 0.1 % rule returns; the sensor's
    # holmium is not Chinese.
    assert [h.product.sku for h in result.products] == ["MTR-1"]
    assert result.count == 4
    ho = result.per_element["Ho"]
    assert ho["orders"].kg == Dec("2000") and ho["orders"].value == {"USD": Dec("100000")}
    assert ho["shipments"].tonnes == Dec("1")
    assert ho["applications"].kg == Dec("1500") and ho["applications"].value == {"USD": Dec("75000")}
    assert set(result.per_element) == {"Ho"}  # the Dy line of the same order is not touched


def test_under_an_extension_the_date_switches_nothing_but_still_names_holmium(world, book):
    result = impact_of(world.expiry, scenario=world.extended)
    # The event names Ho, so Ho's open items are listed; the 0.1 % class is not switched that day.
    assert result.order_ids == [book.po_ho.id]
    assert result.products == []


def test_announcement_18_touches_every_dysprosium_line(world, book):
    event = PolicyEvent.objects.create(date=D(2025, 4, 4), title="No. 18", jurisdiction="CN", kind="announcement")
    result = impact_of(event)
    assert result.order_ids == sorted([book.po_ho.id, book.po_dy.id])
    assert result.per_element["Dy"]["orders"].kg == Dec("600")
    assert result.per_element["Dy"]["orders"].value == {"EUR": Dec("31000"), "USD": Dec("150000")}
    assert [h.product.sku for h in result.products] == ["MTR-1"]
    assert "China-origin Dy content" in result.products[0].reason


def test_an_event_with_no_items_and_no_windows_touches_nothing(world, book):
    event = PolicyEvent.objects.create(date=D(2026, 1, 12), title="G7 meeting", jurisdiction="G7", kind="meeting")
    assert impact_of(event).count == 0


def test_a_users_own_item_under_a_class_is_touched_with_it(world, book):
    from licensing.models import ControlledItem
    from suppliers.models import PurchaseOrderLine

    own = ControlledItem.objects.create(code="HO-MAG", name="Ho magnets", elements="Ho", parent=world.ho)
    PurchaseOrderLine.objects.create(purchase_order=book.po_dy, item_code=own.code, quantity=Dec("5"), unit="kg")
    result = impact_of(world.expiry, scenario=world.ends)
    assert book.po_dy.id in result.order_ids


def test_counts_for_many_events_take_a_fixed_number_of_queries(world, book, django_assert_num_queries):
    events = [world.expiry] + [
        PolicyEvent.objects.create(date=D(2026, 1, n), title=f"e{n}", jurisdiction="CN", kind="rule") for n in (1, 2, 3)
    ]
    with django_assert_num_queries(11):
        counts = impact_counts(events)
    assert counts[world.expiry.id] == 4
    assert counts[events[1].id] == 0


def test_the_event_page_and_the_calendar_show_the_impact(world, book, client, viewer):
    client.force_login(viewer)
    page = client.get(f"/policy/{world.expiry.pk}/")
    assert page.status_code == 200
    assert b'data-testid="impact-count">4<' in page.content
    assert b"PO-HO" in page.content and b"MTR-1" in page.content
    extended = client.get(f"/policy/{world.expiry.pk}/?scenario={world.extended.pk}")
    assert b'data-testid="impact-count">3<' in extended.content
    month = client.get("/policy/?month=2026-11")
    assert b'title="Open items touched">4<' in month.content
