"""Rules kept in the services: the admin cannot bypass them, a licence's status is decided in
one place, set-based refreshes, and closed orders are never at risk."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from licensing.models import Licence, LicenceStatus
from shipments import risk, selectors, services
from shipments.models import Shipment, ShipmentStatus
from suppliers.models import PurchaseOrder
from tests.factories import PurchaseOrderFactory
from tests.licensing.helpers import at

D = dt.date


# --- 1. The admin goes through the services ----------------------------------------------------


def _po_form(po, **changes):
    data = {
        "number": po.number, "supplier": po.supplier_id, "order_date": "2025-09-01", "needed_by": "2026-01-31",
        "status": po.status, "notes": "", "external_ref": po.external_ref,
        "lines-TOTAL_FORMS": "0", "lines-INITIAL_FORMS": "0", "lines-MIN_NUM_FORMS": "0", "lines-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    return data


def test_a_needed_by_before_the_order_date_in_the_admin_is_a_form_error(client, admin_user, supplier, frozen_today):
    po = PurchaseOrderFactory(supplier=supplier)
    client.force_login(admin_user)
    response = client.post(f"/admin/suppliers/purchaseorder/{po.pk}/change/", _po_form(po, needed_by="2025-08-01"))
    assert response.status_code == 200
    assert "The needed-by date cannot be before the order date." in response.content.decode()
    assert PurchaseOrder.objects.get(pk=po.pk).needed_by == D(2026, 1, 31)


def test_closing_an_order_in_the_admin_clears_its_risk_flag(client, admin_user, supplier, frozen_today):
    po = PurchaseOrderFactory(supplier=supplier)
    PurchaseOrder.objects.filter(pk=po.pk).update(at_risk=True, expected_arrival=D(2026, 3, 1))
    client.force_login(admin_user)
    response = client.post(f"/admin/suppliers/purchaseorder/{po.pk}/change/", _po_form(po, status="closed"))
    assert response.status_code == 302
    po.refresh_from_db()
    assert (po.status, po.at_risk, po.expected_arrival) == ("closed", False, None)
    assert po.history.first().history_user == admin_user


def _licence_form(licence, **changes):
    data = {
        "number": licence.number, "kind": licence.kind, "valid_from": str(licence.valid_from),
        "valid_until": str(licence.valid_until), "notes": "", "external_ref": licence.external_ref,
        "lines-TOTAL_FORMS": str(licence.lines.count()), "lines-INITIAL_FORMS": str(licence.lines.count()),
        "lines-MIN_NUM_FORMS": "0", "lines-MAX_NUM_FORMS": "1000",
        # A tampered post: status and line quantities are read-only and must be ignored.
        "status": "active",
    }
    for i, line in enumerate(licence.lines.order_by("id")):
        data[f"lines-{i}-id"] = str(line.pk)
        data[f"lines-{i}-licence"] = str(licence.pk)
        data[f"lines-{i}-approved_quantity"] = "999999"
    data.update(changes)
    return data


def test_the_licence_admin_cannot_set_the_status_or_the_approved_quantities(
    client, admin_user, supplier, make_licence, dy, frozen_today
):
    licence = make_licence("LIC-SMALL", [(dy, "100", "kg")])
    services.shipment_save(
        supplier=supplier, licence=licence, reference="BL-1", lines=[{"item": dy, "quantity": "100", "unit": "kg"}]
    )
    client.force_login(admin_user)
    response = client.post(f"/admin/licensing/licence/{licence.pk}/change/", _licence_form(licence, notes="checked"))
    assert response.status_code == 302, response.content.decode()[:3000]
    licence.refresh_from_db()
    assert (licence.notes, licence.status) == ("checked", LicenceStatus.EXHAUSTED)
    assert licence.lines.get().approved_quantity == 100


def test_extending_an_expired_licence_in_the_admin_makes_it_active(client, admin_user, make_licence, dy, frozen_today):
    licence = make_licence("LIC-OLD", [(dy, "100", "kg")], valid_until=D(2025, 11, 30))
    assert licence.status == LicenceStatus.EXPIRED
    client.force_login(admin_user)
    response = client.post(
        f"/admin/licensing/licence/{licence.pk}/change/", _licence_form(licence, valid_until="2026-06-30")
    )
    assert response.status_code == 302
    assert Licence.objects.get(pk=licence.pk).status == LicenceStatus.ACTIVE


def test_the_licence_admin_revokes_and_reinstates_through_the_service(
    client, admin_user, make_licence, dy, frozen_today
):
    licence = make_licence("LIC-A", [(dy, "100", "kg")])
    client.force_login(admin_user)
    url = "/admin/licensing/licence/"
    client.post(url, {"action": "revoke", "_selected_action": [licence.pk]})
    assert Licence.objects.get(pk=licence.pk).status == LicenceStatus.REVOKED
    with at(D(2026, 6, 2)):  # reinstated after its end date: expired, not active
        client.force_login(admin_user)  # the session of December has expired by June
        client.post(url, {"action": "reinstate", "_selected_action": [licence.pk]})
    assert Licence.objects.get(pk=licence.pk).status == LicenceStatus.EXPIRED


# --- 2. The licence status is decided by licence_change ------------------------------------------


def test_licence_change_refuses_a_status(make_licence, dy, frozen_today):
    licence = make_licence("LIC-A", [(dy, "100", "kg")])
    with pytest.raises(ValidationError) as exc:
        services.licence_change(licence=licence, status="expired")
    assert "status" in exc.value.message_dict
    assert Licence.objects.get(pk=licence.pk).status == LicenceStatus.ACTIVE


def test_extending_an_expired_licence_brings_it_back_by_its_balance(supplier, make_licence, dy, frozen_today):
    spent = make_licence("LIC-SPENT", [(dy, "100", "kg")])
    services.shipment_save(
        supplier=supplier, licence=spent, reference="BL-1", lines=[{"item": dy, "quantity": "100", "unit": "kg"}]
    )
    fresh = make_licence("LIC-FRESH", [(dy, "100", "kg")])
    Licence.objects.filter(pk__in=[spent.pk, fresh.pk]).update(status=LicenceStatus.EXPIRED, valid_until=D(2025, 11, 1))
    assert services.licence_change(licence=spent, valid_until=D(2026, 6, 30)).status == LicenceStatus.EXHAUSTED
    assert services.licence_change(licence=fresh, valid_until=D(2026, 6, 30)).status == LicenceStatus.ACTIVE


def test_a_revoked_licence_stays_revoked_until_reinstated(make_licence, dy, frozen_today):
    licence = make_licence("LIC-A", [(dy, "100", "kg")])
    licence = services.licence_change(licence=licence, revoked=True)
    assert services.licence_change(licence=licence, notes="still revoked").status == LicenceStatus.REVOKED
    assert services.licence_change(licence=licence, revoked=False).status == LicenceStatus.ACTIVE


def test_reinstating_a_licence_past_its_end_date_makes_it_expired(make_licence, dy):
    with at(D(2026, 5, 1)):
        licence = make_licence("LIC-A", [(dy, "100", "kg")], valid_until=D(2026, 5, 31))
        licence = services.licence_change(licence=licence, revoked=True)
    with at(D(2026, 6, 2)):
        assert services.licence_change(licence=licence, revoked=False).status == LicenceStatus.EXPIRED


def test_the_ui_reinstates_an_expired_revoked_licence_as_expired(client, procurement, make_licence, dy):
    with at(D(2026, 5, 1)):
        licence = make_licence("LIC-A", [(dy, "100", "kg")], valid_until=D(2026, 5, 31))
        services.licence_change(licence=licence, revoked=True)
    with at(D(2026, 6, 2)):
        client.force_login(procurement)
        response = client.post(
            f"/licences/{licence.pk}/edit/",
            {"number": "LIC-A", "kind": licence.kind, "valid_from": "2025-06-01", "valid_until": "2026-05-31",
             "notes": "", "status": "active"},
        )
    assert response["Location"] == f"/licences/{licence.pk}/", response.content.decode()[:2000]
    assert Licence.objects.get(pk=licence.pk).status == LicenceStatus.EXPIRED


# --- 3./4. Set-based refreshes -------------------------------------------------------------------


def test_licences_refresh_status_is_set_based(supplier, make_licence, dy, frozen_today):
    def refresh_queries(prefix: str, n: int) -> int:
        licences = [make_licence(f"{prefix}-{i}", [(dy, "10", "kg")]) for i in range(n)]
        for i, licence in enumerate(licences[: n // 2]):
            services.shipment_save(
                supplier=supplier, licence=licence, reference=f"{prefix}-BL-{i}",
                lines=[{"item": dy, "quantity": "10", "unit": "kg"}],
            )
        Licence.objects.filter(pk__in=[x.pk for x in licences]).update(status=LicenceStatus.ACTIVE)
        with CaptureQueriesContext(connection) as ctx:
            services.licences_refresh_status({x.pk for x in licences})
        statuses = dict(Licence.objects.filter(number__startswith=prefix).values_list("number", "status"))
        assert [statuses[f"{prefix}-{i}"] for i in range(n)] == ["exhausted"] * (n // 2) + ["active"] * (n - n // 2)
        return len(ctx.captured_queries)

    assert refresh_queries("FEW", 4) == refresh_queries("MANY", 12)
    # Each change has its history row and its timeline row.
    spent = Licence.objects.get(number="MANY-0")
    assert spent.history.first().history_change_reason == "balance used up"
    assert list(spent.events.values_list("from_status", "to_status"))[-1] == ("active", "exhausted")


def test_licence_has_balance_q_matches_licences_exhausted_ids(supplier, make_licence, dy, frozen_today):
    spent = make_licence("LIC-SPENT", [(dy, "10", "kg")])
    left = make_licence("LIC-LEFT", [(dy, "10", "kg")])
    services.shipment_save(
        supplier=supplier, licence=spent, reference="BL-1", lines=[{"item": dy, "quantity": "10", "unit": "kg"}]
    )
    assert list(Licence.objects.filter(selectors.licence_has_balance_q())) == [left]
    assert selectors.licences_exhausted_ids({spent.pk, left.pk}) == {spent.pk}


def _held(supplier, licence, dy, n):
    for i in range(n):
        services.shipment_save(
            supplier=supplier, licence=licence, reference=f"BL-H{i}", status="held", held_on=D(2025, 11, 26),
            lines=[{"item": dy, "quantity": "1", "unit": "kg"}],
        )
    Shipment.objects.filter(status=ShipmentStatus.HELD).update(customs_response_due=D(2025, 1, 1))


@pytest.mark.parametrize("n", [2, 12])
def test_customs_windows_refresh_in_constant_queries(
    supplier, licence, dy, frozen_today, django_assert_max_num_queries, n
):
    _held(supplier, licence, dy, n)
    with django_assert_max_num_queries(8):  # calendar + held rows + one bulk UPDATE, whatever n
        assert services.shipments_refresh_customs_due() == n
    assert set(Shipment.objects.values_list("customs_response_due", flat=True)) == {D(2025, 12, 5)}
    assert services.customs_response_due(D(2025, 11, 26)) == D(2025, 12, 5)


# --- 5. Closed orders are not at risk --------------------------------------------------------------


def test_the_risk_refresh_clears_closed_and_cancelled_orders(supplier, frozen_today):
    closed = PurchaseOrderFactory(supplier=supplier, status="closed")
    cancelled = PurchaseOrderFactory(supplier=supplier, status="cancelled")
    PurchaseOrder.objects.filter(pk__in=[closed.pk, cancelled.pk]).update(at_risk=True, expected_arrival=D(2026, 3, 1))
    risk.purchase_orders_refresh_risk()
    assert list(PurchaseOrder.objects.filter(at_risk=True)) == []
    assert list(PurchaseOrder.objects.filter(expected_arrival__isnull=False)) == []


def test_purchase_order_save_clears_the_flag_when_an_order_leaves_open(supplier, frozen_today):
    po = PurchaseOrderFactory(supplier=supplier)
    PurchaseOrder.objects.filter(pk=po.pk).update(at_risk=True, expected_arrival=D(2026, 3, 1))
    po.refresh_from_db()
    assert list(selectors.purchase_orders_at_risk()) == [po]
    po = services.purchase_order_save(purchase_order=po, status="cancelled")
    po.refresh_from_db()
    assert (po.at_risk, po.expected_arrival) == (False, None)
    assert list(selectors.purchase_orders_at_risk()) == []
