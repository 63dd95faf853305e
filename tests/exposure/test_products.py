"""Own products: the service, the spreadsheet import, and the share and flags on a day and
scenario (docs/exposure.md)."""

import datetime as dt
from decimal import Decimal as Dec

import pytest

from core.errors import DomainError
from core.spreadsheets import Row
from exposure import selectors, services
from exposure.models import FxRate, Product
from exposure.spreadsheet_import import product_groups
from licensing.rules import Rules
from shipments.views.imports import _run
from tests.factories import PurchaseOrderFactory, SupplierFactory

from .helpers import build_rules

D = dt.date


@pytest.fixture
def world(db):
    return build_rules()


def motor(**extra):
    contents = extra.pop("contents", [
        {"element": "Dy", "mass_g": Dec("20"), "china_origin": True, "value": Dec("0.60"), "currency": "USD"},
        {"element": "Tb", "mass_g": Dec("2"), "china_origin": True, "value": Dec("0.40"), "currency": "USD"},
    ])
    fields = {"sku": "MTR-1", "name": "Motor", "unit_value": Dec("1000"), "currency": "USD", "destinations": "us de"}
    fields.update(extra)
    return services.product_save(contents=contents, **fields)


def test_it_saves_a_product_with_its_content(world):
    p = motor()
    assert p.destinations == "DE US"
    assert [c.element for c in p.contents.all()] == ["Dy", "Tb"]


def test_content_traced_to_an_order_is_traced_to_its_supplier(world):
    po = PurchaseOrderFactory()
    p = motor(contents=[{"element": "dy", "mass_g": Dec("1"), "value": Dec("1"), "purchase_order": po}])
    c = p.contents.get()
    assert c.element == "Dy" and c.supplier == po.supplier


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        ({"currency": "XXY"}, "currency"),
        ({"destinations": "ZZ US"}, "destinations"),
        ({"unit_value": Dec("0")}, "unit_value"),  # the check constraint, beside its field
        ({"contents": [{"element": "Nb", "mass_g": Dec("1"), "value": Dec("1")}]}, "lines[0].element"),
        ({"contents": [{"element": "Dy", "mass_g": Dec("1"), "value": Dec("1"), "colour": "red"}]}, "lines[0].colour"),
        ({"colour": "red"}, "colour"),
        ({"name": "Motor\u0001"}, "name"),
        ({"sku": "MTR\n1"}, "sku"),
        ({"notes": "ok\u0000"}, "notes"),
    ],
)
def test_bad_input_is_refused_by_field(world, fields, key):
    with pytest.raises(DomainError) as exc:
        motor(**fields)
    assert key in exc.value.message_dict
    assert not Product.objects.exists()


def test_share_and_flags_follow_the_day_and_the_scenario(world):
    motor()  # 1.00 USD of China-origin Dy+Tb on 1000 USD: exactly 0.1 %
    rules = Rules.load()
    during = selectors.product_shares(Product.objects.all(), on=D(2026, 3, 1), rules=rules)[0]
    assert during.share.at_or_above and not during.rule_in_force and not during.needs_licence
    after_ends = selectors.product_shares(
        Product.objects.all(), on=D(2026, 11, 11), scenario=world.ends, rules=rules
    )[0]
    assert after_ends.needs_licence
    after_ext = selectors.product_shares(
        Product.objects.all(), on=D(2026, 11, 11), scenario=world.extended, rules=rules
    )[0]
    assert not after_ext.needs_licence


def test_rule_periods_per_scenario(world):
    rules = Rules.load()
    assert selectors.rule_periods(rules, world.ends) == [(D(2026, 11, 10), None)]
    assert selectors.rule_periods(rules, world.extended) == [(D(2027, 11, 10), None)]


def test_the_fx_table_is_read_with_its_dates(world):
    FxRate.objects.create(currency="EUR", quote="USD", valid_from=D(2026, 1, 1), rate=Dec("1.25"))
    motor(unit_value=Dec("800"), currency="EUR")  # 1 USD = 0.8 EUR of content on 800 EUR: 0.1 %
    row = selectors.product_shares(Product.objects.all(), on=D(2026, 11, 11), scenario=world.ends)[0]
    assert row.share.at_or_above and row.needs_licence
    early = selectors.product_shares(Product.objects.all(), on=D(2025, 12, 31))[0]
    assert early.share.share is None


def rows(*dicts):
    return [Row(i + 2, d) for i, d in enumerate(dicts)]


def test_import_groups_rows_by_sku_and_commits_through_the_service(world):
    SupplierFactory(name="Baotou")
    data = (
        b"sku,name,unit_value,currency,destinations,element,mass_g,china_origin,value,supplier\n"
        b"MTR-1,Motor,1000,USD,US DE,Dy,20,yes,0.6,Baotou\n"
        b"MTR-1,Motor,1000,USD,US DE,Tb,2,no,0.4,\n"
        b"SEN-2,Sensor,50,EUR,JP,,,,,\n"
    )
    result = _run({"columns": [], "build": product_groups}, data, "p.csv", None, commit=True)
    assert result.errors == [] and result.committed
    mtr = Product.objects.get(sku="MTR-1")
    assert [(c.element, c.china_origin, c.supplier and c.supplier.name) for c in mtr.contents.all()] == [
        ("Dy", True, "Baotou"), ("Tb", False, None)
    ]
    assert Product.objects.get(sku="SEN-2").contents.count() == 0


def test_import_names_the_row_and_column_of_each_error(world):
    data = (
        b"sku,name,unit_value,element,mass_g,value,china_origin,content_currency\n"
        b"MTR-1,Motor,1000,Dy,20,0.6,perhaps,USD\n"
        b"MTR-2,Motor,1000,Xx,20,0.6,yes,ABC\n"
    )
    result = _run({"columns": [], "build": product_groups}, data, "p.csv", None, commit=True)
    assert {(e.row, e.column) for e in result.errors} == {(2, "china_origin"), (3, "content_currency")}
    assert not result.committed and not Product.objects.exists()


def test_import_reports_service_errors_on_the_line(world):
    data = b"sku,name,unit_value,element,mass_g,value\nMTR-1,Motor,1000,Xx,20,0.6\n"
    result = _run({"columns": [], "build": product_groups}, data, "p.csv", None, commit=True)
    assert [(e.row, e.column) for e in result.errors] == [(2, "element")]


def test_product_pages(world, client, viewer, django_assert_max_num_queries):
    p = motor()
    client.force_login(viewer)
    with django_assert_max_num_queries(12):
        page = client.get("/products/")
    assert page.status_code == 200 and b"MTR-1" in page.content and b"0.1000 %" in page.content
    detail = client.get(f"/products/{p.pk}/")
    assert detail.status_code == 200 and b"from 10 Nov 2026" in detail.content


def test_fx_rates_refuse_control_characters_and_dates_out_of_range(world):
    with pytest.raises(DomainError) as exc:
        services.fx_rate_save(
            currency="EUR", quote="USD", valid_from=D(1999, 12, 31), rate=Dec("1.1"), source="E\u0007CB"
        )
    assert set(exc.value.message_dict) >= {"valid_from", "source"}
