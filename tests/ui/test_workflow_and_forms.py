"""The application workflow, the forms with lines, and the over-draw rule as the UI shows them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from licensing.models import Licence, LicenceApplication
from shipments.models import Shipment
from suppliers.models import PurchaseOrder


def _lines(prefix: str, rows: list[dict], initial: int = 0) -> dict:
    data = {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": str(initial)}
    for i, row in enumerate(rows):
        data.update({f"{prefix}-{i}-{k}": v for k, v in row.items()})
    return data


@pytest.mark.django_db
def test_the_detail_page_shows_the_clock_and_offers_only_allowed_moves(scene, viewer, procurement, client):
    app = scene.apps["due"]
    client.force_login(viewer)
    page = client.get(f"/applications/{app.pk}/").content.decode()
    assert "Thu 4 Dec 2025" in page  # the example of docs/architecture.md#clock: accepted Friday 26 September 2025
    assert "clock <strong>stops</strong>" in page
    assert 'name="to"' not in page  # a viewer gets no workflow form
    client.force_login(procurement)
    response = client.get(f"/applications/{app.pk}/")
    assert [c[0] for c in response.context["transition_form"].fields["to"].choices] == [
        "supplement_requested",
        "approved",
        "rejected",
        "withdrawn",
    ]


@pytest.mark.django_db
def test_it_explains_why_there_is_no_due_date(scene, viewer, client):
    app = scene.apps["overdue"]
    LicenceApplication.objects.filter(pk=app.pk).update(time_limit_exemption="watch_list")
    client.force_login(viewer)
    page = client.get(f"/applications/{app.pk}/").content.decode()
    assert "No due date." in page and "Watch List" in page


@pytest.mark.django_db
def test_a_paused_clock_and_estimated_dates_are_labelled(scene, viewer, client):
    client.force_login(viewer)
    page = client.get(f"/applications/{scene.apps['paused'].pk}/").content.decode()
    assert "Clock paused" in page and "working day" in page and "not counted" in page


@pytest.mark.django_db
def test_a_move_the_table_does_not_allow_is_refused_with_a_clear_error(scene, procurement, client):
    app = scene.apps["draft"]
    client.force_login(procurement)
    response = client.post(f"/applications/{app.pk}/transition/", {"to": "approved", "on": "2025-12-01"})
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    app.refresh_from_db()
    assert app.status == "draft"
    response = client.post(f"/applications/{app.pk}/transition/", {"to": "submitted", "on": "2025-12-05"})
    assert response.status_code == 422 and "after today" in response.content.decode()


@pytest.mark.django_db
def test_approving_records_the_licence_with_its_lines(scene, procurement, client):
    app = scene.apps["due"]
    item = scene.items["DY2O3"]
    client.force_login(procurement)
    data = {
        "to": "approved",
        "on": "2025-12-01",
        "note": "Granted",
        "record_licence": "on",
        "licence-number": "LIC-NEW-1",
        "licence-valid_from": "2025-12-01",
        "licence-valid_until": "2026-11-30",
        **_lines("licence_lines", [{"item": str(item.pk), "approved_quantity": "450", "unit": "kg"}], initial=1),
    }
    response = client.post(f"/applications/{app.pk}/transition/", data, HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Redirect"] == f"/applications/{app.pk}/"
    licence = Licence.objects.get(number="LIC-NEW-1")
    assert licence.application_id == app.pk and licence.lines.get().approved_quantity == Decimal("450")


@pytest.mark.django_db
def test_a_bad_licence_line_is_shown_on_that_line_and_nothing_changes(scene, procurement, client):
    app = scene.apps["due"]
    client.force_login(procurement)
    data = {
        "to": "approved",
        "on": "2025-12-01",
        "record_licence": "on",
        "licence-number": "LIC-NEW-2",
        "licence-valid_from": "2025-12-01",
        "licence-valid_until": "2025-11-01",
        **_lines("licence_lines", [{"item": str(scene.items["DY2O3"].pk), "approved_quantity": "450", "unit": "kg"}]),
    }
    response = client.post(f"/applications/{app.pk}/transition/", data)
    assert response.status_code == 422
    assert response.context["licence_form"].errors["valid_until"] == ["The licence cannot end before it starts."]
    app.refresh_from_db()
    assert app.status == "accepted" and not Licence.objects.filter(number="LIC-NEW-2").exists()


@pytest.mark.django_db
def test_applications_are_created_and_edited_with_lines(scene, procurement, client):
    client.force_login(procurement)
    item = scene.items["TB-METAL"]
    data = {
        "supplier": scene.suppliers["ganzhou"].pk,
        "kind": "single",
        "end_user": "Hokuriku Servo K.K.",
        "destination_country": "JP",
        "time_limit_exemption": "",
        **_lines(
            "lines",
            [
                {"item": str(item.pk), "quantity": "75", "unit": "kg", "currency": "USD"},
                {"item": "", "quantity": "", "unit": "kg", "currency": "USD"},
            ],
        ),
    }
    response = client.post("/applications/new/", data)
    app = LicenceApplication.objects.get(end_user="Hokuriku Servo K.K.")
    assert response.status_code == 302 and app.destination_country == "JP" and app.status == "draft"
    assert [(line.item_id, line.quantity) for line in app.lines.all()] == [(item.pk, Decimal("75"))]
    data.update(_lines("lines", [{"item": str(item.pk), "quantity": "-5", "unit": "kg", "currency": "USD"}], initial=1))
    response = client.post(f"/applications/{app.pk}/edit/", data)
    assert response.status_code == 200
    assert response.context["lines"].forms[0].errors["quantity"]


@pytest.mark.django_db
def test_an_over_draw_is_refused_as_a_form_error_and_compliance_may_force_it(scene, procurement, compliance, client):
    licence = scene.licences["expiring"]  # 500 kg approved, 200 kg reserved
    data = {
        "reference": "BL-TOO-MUCH",
        "supplier": scene.suppliers["baotou"].pk,
        "status": "planned",
        "planned_ship_date": "2025-12-05",
        "eta": "2025-12-30",
        "licence": licence.pk,
        **_lines("lines", [{"item": str(scene.items["DY2O3"].pk), "quantity": "400", "unit": "kg"}]),
    }
    client.force_login(procurement)
    response = client.post("/shipments/new/", {**data, "force": "on", "override_note": "sneaky"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Over-draw refused" in page and "LIC-2025-0701 has 300 kg of DY2O3 left" in page
    assert "Force the over-draw" not in page  # procurement is not offered the override
    assert not Shipment.objects.filter(reference="BL-TOO-MUCH").exists()

    client.force_login(compliance)
    response = client.post("/shipments/new/", {**data, "force": "on"})
    assert response.context["form"].errors["override_note"] == ["Say why the over-draw is allowed."]
    response = client.post("/shipments/new/", {**data, "force": "on", "override_note": "MOFCOM confirmed by phone"})
    shipment = Shipment.objects.get(reference="BL-TOO-MUCH")
    assert response.status_code == 302 and shipment.overdraw_override and shipment.override_by == compliance


@pytest.mark.django_db
def test_a_shipment_without_licence_shows_the_suggested_one(scene, procurement, client):
    client.force_login(procurement)
    data = {
        "reference": "BL-SUGGEST",
        "supplier": scene.suppliers["baotou"].pk,
        "status": "planned",
        "planned_ship_date": "2025-12-10",
        "eta": "2026-01-10",
        "licence": "",
        **_lines("lines", [{"item": str(scene.items["TB-METAL"].pk), "quantity": "50", "unit": "kg"}]),
    }
    response = client.post("/shipments/new/", data, follow=True)
    page = response.content.decode()
    assert "Suggested: <a" in page and "LIC-2025-0812" in page


@pytest.mark.django_db
def test_assign_it_opens_the_form_with_the_suggested_licence_selected(scene, procurement, client):
    import datetime as dt
    import re

    from shipments import services as ss

    client.force_login(procurement)
    shipment = ss.shipment_save(
        supplier=scene.suppliers["baotou"], reference="BL-SUGGEST", status="planned",
        planned_ship_date=dt.date(2025, 12, 10),
        lines=[{"item": scene.items["TB-METAL"], "quantity": Decimal("50"), "unit": "kg"}],
    )
    detail = client.get(f"/shipments/{shipment.pk}/").content.decode()
    link = re.search(r'href="([^"]+)">Assign it</a>', detail)
    assert link, "no Assign it link"
    form = client.get(link.group(1).replace("&amp;", "&")).content.decode()
    suggested = Licence.objects.get(number="LIC-2025-0812")
    selected = re.search(r'<select name="licence"[^>]*>(.*?)</select>', form, re.S).group(1)
    assert re.search(rf'<option value="{suggested.pk}"[^>]*selected', selected), selected


@pytest.mark.django_db
def test_purchase_orders_and_suppliers_are_created_through_their_forms(scene, procurement, client):
    client.force_login(procurement)
    supplier = {"name": "Xiamen Tungsten", "country": "CN", "active": "on"}
    response = client.post("/suppliers/new/", {**supplier, "uscc": "bad"})
    assert response.status_code == 200 and "18 characters" in response.content.decode()
    response = client.post("/suppliers/new/", supplier)
    assert response.status_code == 302
    data = {
        "number": "PO-NEW-1",
        "supplier": scene.suppliers["baotou"].pk,
        "order_date": "2025-11-01",
        "needed_by": "2025-10-01",
        "status": "open",
        **_lines("lines", [{"item": str(scene.items["DY2O3"].pk), "quantity": "10", "unit": "kg", "currency": "USD"}]),
    }
    response = client.post("/purchase-orders/new/", data)
    assert response.context["form"].errors["needed_by"]
    data["needed_by"] = "2026-02-01"
    assert client.post("/purchase-orders/new/", data).status_code == 302
    assert PurchaseOrder.objects.get(number="PO-NEW-1").lines.count() == 1


@pytest.mark.django_db
def test_the_dashboard_counts_link_to_the_rows_behind_them(scene, viewer, client):
    client.force_login(viewer)
    response = client.get("/")
    counts = response.context["counts"]
    assert counts == {"overdue": 1, "due_soon": 1, "expiring": 1, "shipments": 3, "purchase_orders": 1}
    page = response.content.decode()
    for link in [
        "/applications/?overdue=on",
        "/applications/?due_within=10",
        "/shipments/?at_risk=on",
        "/licences/?expiring_within=30&amp;with_balance=on",
        "/purchase-orders/?at_risk=on",
    ]:
        assert link in page
    assert len(client.get("/applications/?overdue=on").context["rows"]) == 1
    assert len(client.get("/applications/?due_within=10").context["rows"]) == 1
    assert len(client.get("/shipments/?at_risk=on").context["rows"]) == 3
    assert len(client.get("/licences/?expiring_within=30&with_balance=on").context["rows"]) == 1
    assert len(client.get("/purchase-orders/?at_risk=on").context["rows"]) == 1


@pytest.mark.django_db
def test_the_supplier_scorecard(scene, viewer, client):
    client.force_login(viewer)
    score = client.get(f"/suppliers/{scene.suppliers['baotou'].pk}/").context["score"]
    decided = LicenceApplication.objects.filter(supplier=scene.suppliers["baotou"], status__in=["approved", "rejected"])
    days = sorted(decided.values_list("decision_working_days", flat=True))
    assert score["decided"] == 3 and score["approval_rate"] == 67 and score["median_days"] == days[1]
    assert score["delivered"] == 1 and score["on_time_share"] == 100


@pytest.mark.django_db
def test_htmx_gets_only_the_results_partial(scene, viewer, client):
    client.force_login(viewer)
    response = client.get("/applications/?status=accepted", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")
    page = response.content.decode()
    assert "<html" not in page and 'id="results"' in page
    assert scene.apps["due"].reference in page and scene.apps["draft"].reference not in page
    assert "<html" in client.get("/applications/?status=accepted").content.decode()


@pytest.mark.django_db
def test_the_policy_calendar_has_a_month_view_and_a_list(scene, viewer, client):
    client.force_login(viewer)
    page = client.get("/policy/?month=2025-12").content.decode()
    assert "December 2025" in page and "MOFCOM general licences for large exporters" in page
    assert client.get("/policy/?month=garbage").status_code == 200
    rows = client.get("/policy/?view=list&confidence=high").context["rows"]
    assert rows and all(e.confidence == "high" for e in rows)


@pytest.mark.django_db
def test_compliance_records_a_day_off_and_due_dates_move(scene, procurement, compliance, client):
    from licensing.models import CalendarOverride

    app = scene.apps["due"]
    assert str(app.decision_due) == "2025-12-04"
    client.force_login(procurement)
    assert client.get("/policy/calendar/").status_code == 200
    assert client.post("/policy/calendar/", {"action": "day", "day-date": "2025-12-02"}).status_code == 403
    client.force_login(compliance)
    response = client.post(
        "/policy/calendar/", {"action": "day", "day-date": "2025-12-02", "day-kind": "day_off", "day-note": "Notice"}
    )
    assert response.status_code == 302
    app.refresh_from_db()
    assert str(app.decision_due) == "2025-12-05"  # one working day fewer: the due date moves out by one
    response = client.post("/policy/calendar/", {"action": "day", "day-date": "2025-12-02", "day-kind": "day_off"})
    assert response.status_code == 200 and "already exists" in response.content.decode()
    client.post("/policy/calendar/", {"action": "delete", "delete": CalendarOverride.objects.get().pk})
    app.refresh_from_db()
    assert str(app.decision_due) == "2025-12-04"


def test_the_forms_only_offer_fields_the_services_accept():
    from shipments.forms import PurchaseOrderForm, ShipmentForm, SupplierForm
    from shipments.services import PO_FIELDS, SHIPMENT_FIELDS
    from suppliers.services import SUPPLIER_FIELDS

    assert set(SupplierForm.Meta.fields) <= SUPPLIER_FIELDS
    assert set(PurchaseOrderForm.Meta.fields) <= PO_FIELDS
    assert set(ShipmentForm.Meta.fields) <= SHIPMENT_FIELDS
