"""applications/: create (draft or back-loaded), the clock fields, transitions through the one
door, deletes of drafts only, upsert by external_ref, filters."""

from __future__ import annotations

import pytest

from licensing.models import ApplicationEvent, Licence, LicenceApplication
from tests.factories import PurchaseOrderFactory, SupplierFactory

from .conftest import assert_error

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]


@pytest.fixture
def body(supplier, dy):
    return {
        "supplier": supplier.pk,
        "end_user": "Motor Works GmbH",
        "destination_country": "DE",
        "lines": [{"item": "DY", "quantity": "500", "value": "175000.00", "currency": "USD"}],
    }


ACCEPTED_26_SEPT = [{"to": "submitted", "on": "2025-09-19"}, {"to": "accepted", "on": "2025-09-26"}]


def test_it_creates_a_draft(erp, body):
    r = erp.post("/api/v1/applications/", body)
    assert r.status_code == 201, r.json()
    app = r.json()
    assert app["status"] == "draft"
    assert app["reference"].startswith("LA-2025-")
    assert app["destination_country"] == "DE"
    assert app["lines"] == [
        {"item": "DY", "quantity": "500.000", "unit": "kg", "value": "175000.00", "currency": "USD"}
    ]
    assert app["decision_due"] is None and app["overdue"] is False and app["events"] == []
    assert r["ETag"]


def test_it_back_loads_history_and_computes_the_clock(erp, body):
    # docs/architecture.md#clock: accepted on Friday 26 September 2025 -> due Thursday 4 December 2025.
    r = erp.post("/api/v1/applications/", {**body, "events": ACCEPTED_26_SEPT})
    assert r.status_code == 201, r.json()
    app = r.json()
    assert app["status"] == "accepted"
    assert app["accepted_on"] == "2025-09-26"
    assert app["decision_due"] == "2025-12-04"
    assert app["working_days_elapsed"] + app["working_days_remaining"] == 45
    assert app["working_days_remaining"] == 3  # today is Monday 1 December 2025 (Shanghai)
    assert app["overdue"] is False
    assert [(e["from_status"], e["to_status"], e["on"]) for e in app["events"]] == [
        ("draft", "submitted", "2025-09-19"),
        ("submitted", "accepted", "2025-09-26"),
    ]
    assert {e["recorded_by"] for e in app["events"]} == {"api:sap-prod"}
    assert set(ApplicationEvent.objects.values_list("api_client", flat=True)) == {"sap-prod"}


def test_a_refused_back_loaded_step_names_the_event_and_writes_nothing(erp, body):
    events = [{"to": "submitted", "on": "2025-09-19"}, {"to": "approved", "on": "2025-09-26"}]
    assert_error(erp.post("/api/v1/applications/", {**body, "events": events}), 409, "events[1].to")
    assert not LicenceApplication.objects.exists()


@pytest.mark.parametrize(
    ("change", "attr"),
    [
        ({"lines": [{"item": "NOPE", "quantity": "1"}]}, "lines[0].item"),
        ({"lines": [{"item": "DY", "quantity": "0"}]}, "lines[0].quantity"),
        ({"lines": [{"item": "DY", "quantity": "1", "unit": "lb"}]}, "lines[0].unit"),
        ({"supplier": 999999}, "supplier"),
        ({"supplier": "x"}, "supplier"),
        ({"destination_country": "Germany"}, "destination_country"),
        ({"end_user": ""}, "end_user"),
        ({"kind": "multiple"}, "kind"),
        ({"status": "approved"}, "status"),
        ({"events": [{"to": "submitted", "on": "19/09/2025"}]}, "events[0].on"),
        ({"events": [{"to": "sent", "on": "2025-09-19"}]}, "events[0].to"),
        ({"events": [{"to": "submitted", "on": "2025-12-25"}]}, "events[0].on"),  # after today
    ],
)
def test_it_refuses_bad_input_naming_the_field(erp, body, change, attr):
    assert_error(erp.post("/api/v1/applications/", {**body, **change}), 400, attr)
    assert not LicenceApplication.objects.exists()


def test_it_refuses_a_purchase_order_of_another_supplier(erp, body):
    po = PurchaseOrderFactory(supplier=SupplierFactory())
    assert_error(erp.post("/api/v1/applications/", {**body, "purchase_order": po.pk}), 400, "purchase_order")


def test_it_refuses_a_non_json_body(erp):
    r = erp.post("/api/v1/applications/", "not json", content_type="application/json")
    assert_error(r, 400, code="parse_error")
    r = erp.post("/api/v1/applications/", "a=b", content_type="application/x-www-form-urlencoded")
    assert_error(r, 415, code="unsupported_media_type")


def test_a_transition_moves_the_status_through_the_service(erp, body):
    app = erp.post("/api/v1/applications/", body).json()
    r = erp.post(
        f"/api/v1/applications/{app['id']}/transition/", {"to": "submitted", "on": "2025-11-03", "note": "Filed"}
    )
    assert r.status_code == 200, r.json()
    assert r.json()["status"] == "submitted" and r.json()["submitted_on"] == "2025-11-03"
    assert r.json()["events"][-1]["note"] == "Filed"


def test_a_refused_transition_answers_409_with_the_allowed_moves(erp, body):
    app = erp.post("/api/v1/applications/", body).json()
    r = erp.post(f"/api/v1/applications/{app['id']}/transition/", {"to": "approved", "on": "2025-11-03"})
    detail = assert_error(r, 409, "to", "transition_not_allowed")["errors"][0]["detail"]
    assert "Allowed: documents_pending, submitted, withdrawn" in detail


@pytest.mark.parametrize(
    ("step", "status", "attr"),
    [
        ({"to": "submitted", "on": "2026-01-05"}, 400, "on"),  # after today
        ({"to": "submitted", "on": "soon"}, 400, "on"),
        ({"to": "lost", "on": "2025-11-03"}, 400, "to"),
        ({"to": "submitted"}, 400, "on"),
        (
            {
                "to": "submitted",
                "on": "2025-11-03",
                "licence": {
                    "number": "L",
                    "valid_until": "2026-01-01",
                    "lines": [{"item": "DY", "approved_quantity": "1"}],
                },
            },
            400,
            "licence",
        ),
    ],
)
def test_a_bad_transition_answers_4xx_naming_the_field(erp, body, step, status, attr):
    app = erp.post("/api/v1/applications/", body).json()
    assert_error(erp.post(f"/api/v1/applications/{app['id']}/transition/", step), status, attr)
    assert LicenceApplication.objects.get().status == "draft"


def test_approval_records_the_licence_it_carries(erp, body):
    app = erp.post("/api/v1/applications/", {**body, "events": ACCEPTED_26_SEPT}).json()
    licence = {
        "number": "MOFCOM-2025-778",
        "valid_until": "2026-11-19",
        "lines": [{"item": "DY", "approved_quantity": "500"}],
    }
    r = erp.post(
        f"/api/v1/applications/{app['id']}/transition/", {"to": "approved", "on": "2025-11-20", "licence": licence}
    )
    assert r.status_code == 200, r.json()
    assert r.json()["status"] == "approved" and r.json()["decided_on"] == "2025-11-20"
    assert r.json()["overdue"] is False
    recorded = Licence.objects.get()
    assert (recorded.number, recorded.application_id, str(recorded.valid_from)) == (
        "MOFCOM-2025-778",
        app["id"],
        "2025-11-20",
    )


def test_an_approval_with_a_bad_licence_names_the_licence_field_and_changes_nothing(erp, body):
    app = erp.post("/api/v1/applications/", {**body, "events": ACCEPTED_26_SEPT}).json()
    licence = {"number": "L-1", "valid_until": "2026-11-19", "lines": [{"item": "XX", "approved_quantity": "5"}]}
    r = erp.post(
        f"/api/v1/applications/{app['id']}/transition/", {"to": "approved", "on": "2025-11-20", "licence": licence}
    )
    assert_error(r, 400, "licence.lines[0].item")
    assert LicenceApplication.objects.get().status == "accepted" and not Licence.objects.exists()


def test_it_updates_details_but_never_the_status(erp, body):
    app = erp.post("/api/v1/applications/", body).json()
    r = erp.patch(f"/api/v1/applications/{app['id']}/", {"end_use": "Wind turbines", "mofcom_number": "M-1"})
    assert r.status_code == 200, r.json()
    assert (r.json()["end_use"], r.json()["mofcom_number"]) == ("Wind turbines", "M-1")
    assert_error(erp.patch(f"/api/v1/applications/{app['id']}/", {"status": "submitted"}), 400, "status")
    assert_error(erp.patch(f"/api/v1/applications/{app['id']}/", {"events": ACCEPTED_26_SEPT}), 400, "events")


def test_only_a_draft_can_be_deleted(erp, body):
    draft = erp.post("/api/v1/applications/", body).json()
    assert erp.delete(f"/api/v1/applications/{draft['id']}/").status_code == 204
    sent = erp.post("/api/v1/applications/", {**body, "events": ACCEPTED_26_SEPT}).json()
    assert_error(erp.delete(f"/api/v1/applications/{sent['id']}/"), 409, "status", "not_draft")
    assert list(LicenceApplication.objects.values_list("pk", flat=True)) == [sent["id"]]


def test_upsert_by_external_ref_creates_then_updates(erp, body):
    r1 = erp.put("/api/v1/applications/by-ref/SAP-4711/", body)
    assert r1.status_code == 201, r1.json()
    r2 = erp.put("/api/v1/applications/by-ref/SAP-4711/", {**body, "end_user": "Motor Works AG"})
    assert r2.status_code == 200, r2.json()
    assert r2.json()["id"] == r1.json()["id"] and r2.json()["external_ref"] == "SAP-4711"
    assert LicenceApplication.objects.get().end_user == "Motor Works AG"


def test_missing_objects_answer_404_in_the_error_shape(erp):
    for path in (
        "/api/v1/applications/999/",
        "/api/v1/applications/abc/",
        "/api/v1/applications/1e99/",
        "/api/v1/applications/99999999999999999999999/",
        "/api/v1/items/NOPE/",
    ):
        assert_error(erp.get(path), 404, code="not_found")


def test_filters_on_status_overdue_item_supplier_and_dates(erp, body, tb):
    late = erp.post(
        "/api/v1/applications/",
        {**body, "events": [{"to": "submitted", "on": "2025-07-01"}, {"to": "accepted", "on": "2025-07-02"}]},
    ).json()
    on_time = erp.post("/api/v1/applications/", {**body, "events": ACCEPTED_26_SEPT}).json()
    other = SupplierFactory()
    terbium = erp.post(
        "/api/v1/applications/", {**body, "supplier": other.pk, "lines": [{"item": "TB", "quantity": "5"}]}
    ).json()

    def ids(query: str) -> list[int]:
        r = erp.get(f"/api/v1/applications/?{query}")
        assert r.status_code == 200, r.json()
        return sorted(a["id"] for a in r.json()["results"])

    assert ids("overdue=true") == [late["id"]]
    assert late["overdue"] is True and late["working_days_remaining"] < 0
    assert ids("overdue=false") == sorted([on_time["id"], terbium["id"]])
    assert ids("status=accepted") == sorted([late["id"], on_time["id"]])
    assert ids("status=draft&status=accepted") == sorted([late["id"], on_time["id"], terbium["id"]])
    assert ids("item=TB") == [terbium["id"]]
    assert ids(f"supplier={other.pk}") == [terbium["id"]]
    assert ids("accepted_on_from=2025-09-01&accepted_on_to=2025-09-30") == [on_time["id"]]
    assert_error(erp.get("/api/v1/applications/?status=lost"), 400, "status")
    assert_error(erp.get("/api/v1/applications/?accepted_on_from=yesterday"), 400, "accepted_on_from")
    assert_error(erp.get("/api/v1/applications/?supplier=abc"), 400, "supplier")
    assert_error(erp.get("/api/v1/applications/?overdue=maybe"), 400, "overdue")


# --- Correcting the last step (licensing.services.application_correct_last_step) -------------


def _accepted(erp, body) -> dict:
    return erp.post("/api/v1/applications/", {**body, "events": ACCEPTED_26_SEPT}).json()


def test_a_compliance_user_undoes_the_last_step_and_the_clock_follows(compliance_client, erp, body):
    app = _accepted(erp, body)
    r = compliance_client.post(
        f"/api/v1/applications/{app['id']}/correct-last-step/", {"action": "undo", "reason": "Not accepted yet"},
        format="json",
    )
    assert r.status_code == 200, r.json()
    assert (r.json()["status"], r.json()["accepted_on"], r.json()["decision_due"]) == ("submitted", None, None)
    assert [e["to_status"] for e in r.json()["events"]] == ["submitted"]  # the steps that stand
    voided = ApplicationEvent.with_voided.get(application_id=app["id"], to_status="accepted")
    assert voided.void_reason == "Not accepted yet" and voided.voided_by.username == "compliance"


def test_a_write_key_re_dates_the_last_step(erp, body):
    app = _accepted(erp, body)
    r = erp.post(
        f"/api/v1/applications/{app['id']}/correct-last-step/",
        {"action": "redate", "on": "2025-09-29", "reason": "Acceptance letter is dated 29 Sept"},
    )
    assert r.status_code == 200, r.json()
    # Two working days later than from Friday 26 Sept: Sunday 28 (a make-up day) and Monday 29.
    assert r.json()["accepted_on"] == "2025-09-29" and r.json()["decision_due"] == "2025-12-08"
    assert r.json()["events"][-1]["recorded_by"] == "api:sap-prod"


def test_a_correction_needs_the_compliance_role(procurement_client, viewer_client, erp_read, erp, body):
    app = _accepted(erp, body)
    url = f"/api/v1/applications/{app['id']}/correct-last-step/"
    detail = assert_error(procurement_client.post(url, {"action": "undo", "reason": "x"}, format="json"), 403)
    assert "compliance role" in detail["errors"][0]["detail"]
    assert_error(viewer_client.post(url, {"action": "undo", "reason": "x"}, format="json"), 403)
    assert_error(erp_read.post(url, {"action": "undo", "reason": "x"}), 403)
    assert LicenceApplication.objects.get(pk=app["id"]).status == "accepted"


@pytest.mark.parametrize(
    ("payload", "status", "attr", "code"),
    [
        ({"action": "undo"}, 400, "reason", "required"),
        ({"action": "erase", "reason": "x"}, 400, "action", "invalid_choice"),
        ({"action": "redate", "reason": "x"}, 400, "on", "required"),
        ({"action": "redate", "on": "2025-12-02", "reason": "x"}, 400, "on", "date_in_future"),
    ],
)
def test_a_bad_correction_answers_naming_the_field(erp, body, payload, status, attr, code):
    app = _accepted(erp, body)
    assert_error(erp.post(f"/api/v1/applications/{app['id']}/correct-last-step/", payload), status, attr, code)


def test_undoing_an_approval_drawn_by_a_shipment_answers_409(erp, body, dy):
    from tests.factories import ShipmentFactory

    app = _accepted(erp, body)
    erp.post(f"/api/v1/applications/{app['id']}/transition/", {"to": "approved", "on": "2025-11-20", "licence": {
        "number": "LIC-9", "valid_until": "2026-11-19", "lines": [{"item": "DY", "approved_quantity": "500"}]}})
    ShipmentFactory(supplier_id=body["supplier"], licence=Licence.objects.get(number="LIC-9"), reference="MSKU1")
    r = erp.post(f"/api/v1/applications/{app['id']}/correct-last-step/", {"action": "undo", "reason": "x"})
    assert "shipment MSKU1" in assert_error(r, 409, "action", "licence_drawn")["errors"][0]["detail"]
