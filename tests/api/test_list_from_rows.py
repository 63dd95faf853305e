"""The applications list is rendered from ``.values()`` rows with the clock read from the stored
columns (docs/benchmarks.md): every row must equal the detail representation, on every kind of
application and on every day around its deadline; the timeline only with ``expand=events``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from licensing import clock
from licensing.models import LicenceApplication
from licensing.selectors import CLOCK_FROM_COLUMNS, application_clock, clock_from_columns
from licensing.services import application_create
from tests.factories import ControlledItemFactory, PurchaseOrderFactory, SupplierFactory, UserFactory

from .conftest import assert_error

pytestmark = pytest.mark.django_db


def at(day: dt.date):
    return time_machine.travel(dt.datetime(day.year, day.month, day.day, 4, tzinfo=dt.UTC), tick=False)


def _variety():
    """Drafts, running clocks, open and closed supplement periods (before and after the due
    date), exemptions, decisions, a withdrawal after acceptance."""
    supplier, user = SupplierFactory(), UserFactory()
    dy, tb = ControlledItemFactory(code="DY"), ControlledItemFactory(code="TB", elements="Tb")
    lines = [{"item": dy, "quantity": Decimal("500.5"), "unit": "kg", "value": Decimal("1234.5")},
             {"item": tb, "quantity": Decimal("2"), "unit": "t", "value": None, "currency": "EUR"}]
    common = {"supplier": supplier, "end_user": "Motor Works GmbH", "destination_country": "DE"}
    accepted = [{"to": "submitted", "on": "2025-08-01"}, {"to": "accepted", "on": "2025-08-04"}]
    with at(dt.date(2025, 11, 28)):
        application_create(**common, lines=lines)
        application_create(**common, lines=lines, actor=user, purchase_order=PurchaseOrderFactory(supplier=supplier),
                           events=[{"to": "submitted", "on": "2025-09-22", "note": "filed"},
                                   {"to": "accepted", "on": "2025-09-26"}])
        application_create(**common, lines=lines[:1], api_client="SAP", external_ref="SAP-1",
                           events=[*accepted, {"to": "supplement_requested", "on": "2025-09-01"}])
        application_create(**common, lines=lines[:1], events=[
            *accepted, {"to": "supplement_requested", "on": "2025-08-20"}, {"to": "accepted", "on": "2025-09-10"}])
        # Asked for more material after the due date passed, then back: the elapsed days skip it.
        application_create(**common, lines=lines[:1], events=[
            {"to": "submitted", "on": "2025-07-01"}, {"to": "accepted", "on": "2025-07-02"},
            {"to": "supplement_requested", "on": "2025-09-15"}, {"to": "accepted", "on": "2025-10-01"}])
        application_create(**common, time_limit_exemption="watch_list", lines=lines[1:], events=accepted)
        application_create(**common, lines=lines, events=[
            {"to": "submitted", "on": "2025-05-01"}, {"to": "accepted", "on": "2025-05-06"},
            {"to": "approved", "on": "2025-07-10", "licence": {"number": "L-1", "valid_until": "2026-07-09",
                                                                "lines": [{"item": dy, "approved_quantity": "600"}]}}])
        application_create(**common, lines=lines[:1], events=[
            *accepted, {"to": "supplement_requested", "on": "2025-08-20"}, {"to": "rejected", "on": "2025-09-30"}])
        application_create(**common, lines=lines[:1], events=[*accepted, {"to": "withdrawn", "on": "2025-09-01"}])
        # Running, due around the days the tests look at.
        application_create(**common, lines=lines[:1], events=[
            {"to": "submitted", "on": "2025-10-01"}, {"to": "accepted", "on": "2025-10-02"}])


DAYS = [dt.date(2025, 11, 28) + dt.timedelta(days=n) for n in range(0, 40, 3)]


def test_the_clock_from_the_columns_equals_the_computed_clock_wherever_it_answers():
    _variety()
    rows = list(LicenceApplication.objects.prefetch_related("events"))
    answered = 0
    for day in DAYS:
        cal = clock.calendar()
        for app in rows:
            fast = clock_from_columns({f: getattr(app, f) for f in CLOCK_FROM_COLUMNS}, today=day, cal=cal)
            if fast is None:
                continue
            answered += 1
            slow = application_clock(app, today=day, cal=cal)
            shown = ("decision_due", "working_days_elapsed", "working_days_remaining", "overdue", "estimated",
                     "paused", "exempt_reason")
            assert {f: getattr(fast, f) for f in shown} == {f: getattr(slow, f) for f in shown}, (app.pk, day)
    assert answered >= len(DAYS) * 4  # the fast path is the common one


def _all(client, **params):
    r = client.get("/api/v1/applications/", {"page_size": 100, **params})
    assert r.status_code == 200, r.json()
    return r.json()["results"]


@pytest.mark.parametrize("day", [DAYS[0], DAYS[5], DAYS[-1]])
def test_every_list_row_equals_the_detail(erp, day):
    _variety()
    with at(day):
        expanded = _all(erp, expand="events")
        plain = _all(erp)
        details = [erp.get(f"/api/v1/applications/{row['id']}/").json() for row in expanded]
    assert len(expanded) == 10
    assert expanded == details
    assert plain == [{k: v for k, v in d.items() if k != "events"} for d in details]
    assert [list(row) for row in expanded] == [list(d) for d in details]  # the same key order too


def test_an_unknown_expansion_is_refused_naming_the_parameter(erp):
    with at(DAYS[0]):
        assert_error(erp.get("/api/v1/applications/", {"expand": "lines"}), 400, "expand")


def test_filters_and_orderings_still_apply(erp):
    _variety()
    with at(DAYS[0]):
        overdue = _all(erp, overdue="true")
        by_due = _all(erp, ordering="decision_due", status="accepted")
    assert overdue and all(row["overdue"] for row in overdue)
    dues = [row["decision_due"] for row in by_due if row["decision_due"]]  # the exempt one has none
    assert dues == sorted(dues) and len(dues) >= 3


def test_the_sync_pages_the_rows_by_cursor_each_once(erp):
    """updated_since pages the .values() rows by the keyset cursor too (its position read from
    the last row, a dict here)."""
    _variety()
    with at(DAYS[-1]):
        url, seen = "/api/v1/applications/?updated_since=2000-01-01T00:00:00Z&page_size=3", []
        while url:
            r = erp.get(url)
            assert r.status_code == 200, r.json()
            seen += [row["id"] for row in r.json()["results"]]
            url = r.json()["next"]
    assert sorted(seen) == sorted(LicenceApplication.objects.values_list("id", flat=True)) and len(seen) == 10
