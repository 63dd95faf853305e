"""Defects a review found in the web UI: each test failed before its fix."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shipments.models import Shipment
from suppliers.models import PurchaseOrder

HEADER = "reference,supplier,item,quantity,unit,licence,status,planned_ship_date,eta\n"
ROW = "{ref},Baotou Rare Earth Magnet Co.,DY2O3,{qty},kg,LIC-2025-0812,planned,2025-12-10,2026-01-20\n"


def preview(client, url: str, text: str):
    return client.post(url, {"file": SimpleUploadedFile("f.csv", text.encode())})


# --- 1. Numbers in imports ---------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("qty", "word"),
    [("NaN", "finite"), ("Infinity", "finite"), ("-inf", "finite"), ("sNaN", "finite"),
     ("1.234,5", "ambiguous"), ("1,23,4.5.6", "ambiguous"), ("1,234", "ambiguous")],
)
def test_non_finite_and_ambiguous_quantities_are_row_errors_not_500s(scene, procurement, client, qty, word):
    client.force_login(procurement)
    response = preview(client, "/shipments/import/", HEADER + ROW.format(ref="BL-N", qty=f'"{qty}"'))
    assert response.status_code == 422
    errors = response.context["result"].errors
    assert [(e.row, e.column) for e in errors] == [(2, "quantity")]
    assert word in errors[0].message  # "1.234,5" once read as 1.2345 and failed only on decimal places
    assert not Shipment.objects.filter(reference="BL-N").exists()


@pytest.mark.parametrize(
    ("qty", "expected"), [("1,234.5", "1234.5"), ("12,5", "12.5"), ("1 000", "1000"), ("1,234,567.25", "1234567.25")]
)
def test_plain_thousands_and_decimal_commas_still_read(qty, expected):
    from core.spreadsheets import Row
    from shipments.spreadsheet_import import Parser

    parser = Parser()
    assert str(parser.decimal(Row(7, {"quantity": qty}), "quantity")) == expected
    assert parser.errors == []


# --- 2. Parsing lives in a service module ------------------------------------------------------


def test_import_parsing_lives_in_the_service_module_and_the_views_stay_thin():
    from shipments import spreadsheet_import as imports
    from shipments.views import imports as views

    for name in ("Lookups", "Parser", "shipment_groups", "purchase_order_groups"):
        assert hasattr(imports, name), name
        assert name not in vars(views) or vars(views)[name] is getattr(imports, name), name
    assert not hasattr(views, "Parser") and not hasattr(views, "Lookups")


# --- 3. Re-importing without an external_ref updates --------------------------------------------


@pytest.mark.django_db
def test_reimporting_a_shipment_file_without_external_ref_updates_instead_of_duplicating(scene, procurement, client):
    client.force_login(procurement)
    text = HEADER + ROW.format(ref="BL-RE", qty="100")
    response = preview(client, "/shipments/import/", text)
    assert [r["action"] for r in response.context["result"].records] == ["create"]
    assert client.post("/shipments/import/", {"action": "commit"}).status_code == 302
    shipment = Shipment.objects.get(reference="BL-RE")

    response = preview(client, "/shipments/import/", HEADER + ROW.format(ref="BL-RE", qty="120"))
    assert response.context["result"].ok, response.context["result"].errors
    assert [r["action"] for r in response.context["result"].records] == ["update"]
    assert client.post("/shipments/import/", {"action": "commit"}).status_code == 302
    assert Shipment.objects.filter(reference="BL-RE").count() == 1
    shipment.refresh_from_db()
    assert shipment.lines.get().quantity == 120


@pytest.mark.django_db
def test_reimporting_a_purchase_order_file_updates_by_number(scene, procurement, client):
    client.force_login(procurement)
    text = "number,supplier,order_date,item,quantity\nPO-RE-1,Baotou Rare Earth Magnet Co.,2025-11-01,DY2O3,{q}\n"
    preview(client, "/purchase-orders/import/", text.format(q=10))
    client.post("/purchase-orders/import/", {"action": "commit"})
    response = preview(client, "/purchase-orders/import/", text.format(q=15))
    assert [r["action"] for r in response.context["result"].records] == ["update"]
    client.post("/purchase-orders/import/", {"action": "commit"})
    assert PurchaseOrder.objects.get(number="PO-RE-1").lines.get().quantity == 15


# --- 4. Day-count filters are bounded ------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "field"), [("/licences/", "expiring_within"), ("/applications/", "due_within")])
def test_huge_day_counts_in_filters_are_form_errors(scene, viewer, client, url, field):
    client.force_login(viewer)
    response = client.get(f"{url}?{field}=10000000")
    assert response.status_code == 200
    assert field in response.context["filter"].form.errors
    response = client.get(f"{url}?{field}=3650")
    assert response.status_code == 200 and not response.context["filter"].form.errors


# --- 5. Ids that isdigit() but int() refuses, or that overflow ------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["²", "99999999999999999999999"])
def test_odd_ids_are_ignored_or_404_never_500(scene, admin_user, client, bad):
    from licensing.models import CalendarOverride

    client.force_login(admin_user)
    assert client.post("/alerts/", {"alert": [bad]}).status_code == 302
    response = client.get(f"/licences/new/?application={bad}")
    assert response.status_code == 200 and response.context["form"].initial == {}
    count = CalendarOverride.objects.count()
    assert client.post("/policy/calendar/", {"delete": bad}).status_code == 404
    assert CalendarOverride.objects.count() == count


# --- 6. The policy month grid at the ends of the calendar ---------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("month", ["0001-01", "9999-12", "1899-12", "2101-01", "99999999999999999999-01"])
def test_months_out_of_range_fall_back_to_this_month(scene, viewer, client, month):
    client.force_login(viewer)
    response = client.get(f"/policy/?month={month}")
    assert response.status_code == 200
    assert response.context["first"].isoformat() == "2025-12-01"


@pytest.mark.django_db
def test_months_at_the_edges_of_the_range_still_show(scene, viewer, client):
    client.force_login(viewer)
    assert client.get("/policy/?month=1900-01").context["first"].isoformat() == "1900-01-01"
    assert client.get("/policy/?month=2100-12").context["first"].isoformat() == "2100-12-01"


# --- 7. Notifications use the shared role guard and its no-access page ----------------------------


@pytest.mark.django_db
def test_notification_pages_answer_the_no_access_page(scene, viewer, outsider, client):
    from core import permissions
    from notifications import views

    client.force_login(viewer)
    response = client.get("/settings/webhooks/")
    assert response.status_code == 403
    assert "This needs the" in response.content.decode()  # the shared page, not a bare 403
    client.force_login(outsider)
    assert client.get("/alerts/").status_code == 403
    client.logout()
    assert client.get("/alerts/").status_code == 302
    for view in (views.inbox, views.my_notifications, views.webhooks, views.webhook_detail):
        assert hasattr(view, "required_role"), view
    assert not hasattr(views, "_require")
    assert not hasattr(permissions, "require_role") and not hasattr(permissions, "RoleRequiredMixin")


# --- 8. The dashboard names medians as medians ---------------------------------------------------


@pytest.mark.django_db
def test_the_dashboard_delay_charts_say_median(scene, viewer, client):
    client.force_login(viewer)
    html = client.get("/").content.decode()
    assert "median working days" in html and "avg." not in html
