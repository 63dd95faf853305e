"""The demo's own products, rates and scenario make the what-if page show something real."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from exposure.whatif import what_if
from licensing.models import Scenario
from tests.licensing.helpers import at


@pytest.mark.django_db
def test_the_demo_what_if_shows_orders_and_products_if_the_suspension_ends():
    today = dt.date(2026, 9, 15)
    with at(today):
        call_command("load_demo_data", stdout=StringIO())
        ends = Scenario.objects.get(name="Suspension ends on 10 November 2026")
        assert Scenario.objects.filter(name__endswith="(demo)").exists()
        w = what_if(on=dt.date(2026, 11, 20), today=today, scenario=ends)
    assert {e for c in w.newly.orders for e in c.elements} == {"Ho", "Er"}
    assert {p.product.sku for p in w.newly.products} == {"RA-TM-150", "LO-LED-E27"}
    assert w.newly.destinations == ["DE", "FR", "NL", "US"]
