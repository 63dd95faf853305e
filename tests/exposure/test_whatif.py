"""What if: against today, what newly needs a licence on a date under a scenario, what no
longer does, and what to file now (docs/exposure.md)."""

import datetime as dt
import io
from decimal import Decimal as Dec

import pytest
from openpyxl import load_workbook

from exposure.whatif import what_if

from .helpers import build_book, build_rules

D = dt.date
TODAY = D(2026, 9, 15)  # inside the suspension


@pytest.fixture
def world(db):
    return build_rules()


@pytest.fixture
def book(world):
    return build_book(world)


def test_if_the_suspension_ends_holmium_orders_and_the_motor_newly_need_licences(world, book):
    w = what_if(on=D(2026, 11, 20), today=TODAY, scenario=world.ends)
    assert [c.order.number for c in w.newly.orders] == ["PO-HO"]  # the closed order is ignored
    assert w.newly.per_element["Ho"].tonnes == Dec("2")
    assert "Dy" not in w.newly.per_element  # Dy needed a licence already
    assert [p.product.sku for p in w.newly.products] == ["MTR-1"]
    assert w.newly.destinations == ["DE", "US"]
    assert w.no_longer.orders == [] and w.no_longer.products == []


def test_if_it_is_extended_nothing_changes(world, book):
    w = what_if(on=D(2026, 11, 20), today=TODAY, scenario=world.extended)
    assert w.newly.orders == [] and w.newly.products == [] and w.file_now == []


def test_looking_back_from_after_the_end_holmium_no_longer_needs_one(world, book):
    w = what_if(on=D(2026, 3, 1), today=D(2026, 11, 20), scenario=world.ends)
    assert [c.order.number for c in w.no_longer.orders] == ["PO-HO"]
    assert [p.product.sku for p in w.no_longer.products] == ["MTR-1"]


def test_orders_with_an_open_application_need_no_new_filing(world, book):
    # PO-HO already has a draft application (build_book), so nothing to file; without it, file now.
    w = what_if(on=D(2026, 11, 20), today=TODAY, scenario=world.ends)
    assert w.file_now == []
    book.application.purchase_order = None
    book.application.save()
    w = what_if(on=D(2026, 11, 20), today=TODAY, scenario=world.ends)
    assert [f.order.number for f in w.file_now] == ["PO-HO"]
    assert w.file_now[0].elements == ["Ho"]


def test_file_now_uses_the_predicted_decision_times(world, book, settings):
    from licensing.models import LicenceApplication
    from tests.factories import ApplicationFactory, ApplicationLineFactory

    settings.PREDICTION_MIN_SAMPLE = 3
    book.application.purchase_order = None
    book.application.save()
    # Three decided Ho applications of the same supplier, 20 working days each.
    for _ in range(3):
        a = ApplicationFactory(supplier=book.po_ho.supplier)
        ApplicationLineFactory(application=a, item=world.ho)
        LicenceApplication.objects.filter(pk=a.pk).update(
            status="approved", submitted_on=D(2026, 5, 1), accepted_on=D(2026, 5, 6), decided_on=D(2026, 6, 3),
            decision_working_days=20,
        )
    w = what_if(on=D(2026, 11, 10), today=TODAY, scenario=world.ends)
    f = w.file_now[0]
    assert f.p50 is not None and f.p90 is not None and f.sample >= 3
    assert f.in_time is (f.p90 <= D(2026, 11, 10))
    late = what_if(on=D(2026, 9, 20), today=TODAY, scenario=world.ends)
    assert late.file_now == [] or late.file_now[0].in_time is not True


def test_the_page_and_its_xlsx_export(world, book, client, viewer, time_machine, django_assert_max_num_queries):
    time_machine.move_to(dt.datetime(2026, 9, 15, 4, tzinfo=dt.UTC))
    client.force_login(viewer)
    with django_assert_max_num_queries(30):
        page = client.get(f"/what-if/?on=2026-11-20&scenario={world.ends.pk}")
    assert page.status_code == 200
    assert b"PO-HO" in page.content and b"MTR-1" in page.content
    default = client.get("/what-if/?on=not-a-date&scenario=x")
    assert default.status_code == 200 and b"10 November 2026" in default.content
    export = client.get(f"/what-if/?on=2026-11-20&scenario={world.ends.pk}&export=xlsx")
    wb = load_workbook(io.BytesIO(b"".join(export.streaming_content)))
    assert wb.sheetnames == ["Orders", "Tonnes per element", "Products", "File now"]
    orders = list(wb["Orders"].iter_rows(values_only=True))
    assert orders[1][:2] == ("needs a licence", "PO-HO")
    elements = list(wb["Tonnes per element"].iter_rows(values_only=True))
    assert elements[1][:3] == ("needs a licence", "Ho", 2)
