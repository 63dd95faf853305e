"""Customs holds over the API (docs/supplier-portal.md#customs-holds-messages-and-uploads):
``customs_question`` written at every door (single write, bulk, spreadsheet import, the shipment
form, the service) and refused alike, with one message per rule; the latest answer to the current
hold on the shipment's representation, with its source and status; an answer touches the
shipment's ``updated_at`` so that sync sees it."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from shipments import services
from shipments.models import Shipment
from suppliers.services import supplier_contact_save
from tests.factories import ShipmentFactory

from .conftest import NOW, assert_error

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]

QUESTION = "Customs asks:\n1. the certificate of origin;\n2. the end-user statement."
CONTROL = "Control characters are not allowed in text (tab and line breaks are) (found U+009B)."
TOO_LONG = "Ensure this value has at most 10000 characters (it has 10001)."
BAD = {"control character": ("Origin?\x9b", CONTROL), "too long": ("x" * 10001, TOO_LONG)}


def body(supplier, **extra) -> dict:
    return {"reference": "BL-C-1", "supplier": supplier.pk, "lines": [{"item": "DY", "quantity": "10"}], **extra}


def held(supplier, **extra) -> Shipment:
    return services.shipment_save(
        supplier=supplier,
        reference="BL-HELD",
        status="held",
        held_on=dt.date(2025, 11, 28),
        customs_question="Origin?",
        **extra,
    )


def test_customs_question_is_written_and_read_by_the_api(erp, supplier, dy):
    r = erp.post("/api/v1/shipments/", body(supplier, status="held", held_on="2025-11-28", customs_question=QUESTION))
    assert r.status_code == 201, r.json()
    assert r.json()["customs_question"] == QUESTION and r.json()["customs_answer"] is None
    url = f"/api/v1/shipments/{r.json()['id']}/"
    assert erp.patch(url, {"customs_question": "Only the certificate."}).json()["customs_question"] == (
        "Only the certificate."
    )
    assert erp.patch(url, {"notes": "x"}).json()["customs_question"] == "Only the certificate."  # omitted: kept
    assert Shipment.objects.get().customs_question == "Only the certificate."


def test_bulk_rows_set_the_question_and_omitted_ones_keep_it(erp, supplier, dy):
    row = body(supplier, external_ref="ERP-1", customs_question=QUESTION)
    assert erp.post("/api/v1/shipments/bulk/", [row], format="json").status_code == 200
    assert Shipment.objects.get(external_ref="ERP-1").customs_question == QUESTION
    r = erp.post("/api/v1/shipments/bulk/", [{"external_ref": "ERP-1", "notes": "n"}], format="json")
    assert r.status_code == 200, r.json()
    assert Shipment.objects.get(external_ref="ERP-1").customs_question == QUESTION


def test_the_schema_describes_the_question_and_the_answer(erp):
    schemas = erp.get("/api/schema/?format=json").json()["components"]["schemas"]
    for name in (
        "ShipmentInputRequest",
        "PatchedShipmentInputRequest",
        "ShipmentCreateRequest",
        "ShipmentBulkRowRequest",
    ):
        field = schemas[name]["properties"]["customs_question"]
        assert (field["type"], field["maxLength"]) == ("string", 10000), (name, field)
        assert "customs_question" not in schemas[name].get("required", [])
    shipment = schemas["Shipment"]["properties"]
    assert shipment["customs_question"]["readOnly"] is True
    answer = schemas["CustomsAnswer"]["properties"]
    assert {"source", "status", "answered_by", "held_on", "text"} <= set(answer)


# --- One rule, one message, whatever the door -------------------------------------------------------


def door_service(supplier, value, **_):
    with pytest.raises(ValidationError) as exc:
        services.shipment_save(supplier=supplier, reference="BL-C-1", customs_question=value)
    return exc.value.message_dict["customs_question"]


def _api_errors(response, attr: str = "customs_question") -> list[str]:
    data = assert_error(response, 400, attr)
    return [e["detail"] for e in data["errors"] if e["attr"].endswith("customs_question")]


def door_api(supplier, value, erp, **_):
    return _api_errors(erp.post("/api/v1/shipments/", body(supplier, customs_question=value), format="json"))


def door_api_update(supplier, value, erp, **_):
    shipment = ShipmentFactory(supplier=supplier)
    return _api_errors(erp.patch(f"/api/v1/shipments/{shipment.pk}/", {"customs_question": value}, format="json"))


def door_bulk(supplier, value, erp, **_):
    row = body(supplier, external_ref="ERP-C-1", customs_question=value)
    return _api_errors(erp.post("/api/v1/shipments/bulk/", [row], format="json"), "[0].customs_question")


def door_import(supplier, value, client, procurement, **_):
    client.force_login(procurement)
    cell = '"' + value.replace('"', '""') + '"'
    csv = f"reference,supplier,item,quantity,customs_question\nBL-C-1,{supplier.name},DY,10,{cell}\n"
    response = client.post("/shipments/import/", {"file": SimpleUploadedFile("s.csv", csv.encode())})
    assert response.status_code == 422
    return [e.message for e in response.context["result"].errors if e.column == "customs_question"]


def door_form(supplier, value, client, procurement, dy, **_):
    client.force_login(procurement)
    data = {
        "reference": "BL-C-1",
        "supplier": supplier.pk,
        "status": "planned",
        "customs_question": value,
        "lines-TOTAL_FORMS": 1,
        "lines-INITIAL_FORMS": 0,
        "lines-0-item": dy.pk,
        "lines-0-quantity": "10",
        "lines-0-unit": "kg",
    }
    response = client.post("/shipments/new/", data)
    assert response.status_code == 200  # re-rendered with the error
    return response.context["form"].errors["customs_question"]


DOORS = {
    "service": door_service,
    "api": door_api,
    "api update": door_api_update,
    "bulk": door_bulk,
    "import": door_import,
    "form": door_form,
}


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("case", BAD)
def test_a_bad_question_is_refused_alike_at_every_door(erp, client, procurement, supplier, dy, case, door):
    value, message = BAD[case]
    got = DOORS[door](supplier, value, erp=erp, client=client, procurement=procurement, dy=dy)
    assert got == [message]  # the one message of the one rule, not a second one of the door's own
    assert not Shipment.objects.filter(customs_question=value).exists()


# --- The answer on the shipment's representation ----------------------------------------------------


def contact_of(supplier):
    contact = supplier.contacts.first()
    return contact or supplier_contact_save(
        supplier=supplier, name="Li Wei", email="li.wei@example.cn", language="zh-hans"
    )


def answer_of(erp, shipment) -> dict | None:
    return erp.get(f"/api/v1/shipments/{shipment.pk}/").json()["customs_answer"]


def test_a_suppliers_answer_shows_with_its_source_and_status_as_procurement_decides(erp, supplier, procurement):
    shipment = held(supplier)
    assert answer_of(erp, shipment) is None
    first = services.customs_answer_record(shipment=shipment, text="Certificate sent.", contact=contact_of(supplier))
    got = answer_of(erp, shipment)
    assert {k: got[k] for k in ("id", "source", "status", "answered_by", "text", "held_on", "reject_reason")} == {
        "id": first.pk,
        "source": "supplier",
        "status": "held",
        "answered_by": "Li Wei (supplier)",
        "text": "Certificate sent.",
        "held_on": "2025-11-28",
        "reject_reason": "",
    }
    services.customs_answer_reject(answer=first, actor=procurement, reason="Wrong certificate.")
    got = answer_of(erp, shipment)
    assert (got["status"], got["reject_reason"]) == ("rejected", "Wrong certificate.")
    with time_machine.travel(NOW + dt.timedelta(hours=1), tick=False):
        second = services.customs_answer_record(shipment=shipment, text="The right one.", contact=contact_of(supplier))
    services.customs_answer_apply(answer=second, actor=procurement)
    got = answer_of(erp, shipment)
    assert (got["id"], got["source"], got["status"]) == (second.pk, "supplier", "applied")  # the latest
    assert got["decided_at"] is not None


def test_procurements_own_answer_is_the_users_and_recorded_at_once(erp, supplier, procurement):
    shipment = held(supplier)
    services.customs_answer_record(shipment=shipment, text="Answered by phone.", actor=procurement)
    got = answer_of(erp, shipment)
    assert (got["source"], got["status"]) == ("user", "applied")


def test_an_answer_to_an_earlier_hold_is_not_the_current_holds(erp, supplier, procurement):
    shipment = held(supplier)
    services.customs_answer_record(shipment=shipment, text="November's answer.", actor=procurement)
    services.shipment_save(shipment=shipment, status="held", held_on=dt.date(2025, 12, 1), customs_question="Again?")
    assert answer_of(erp, shipment) is None
    listed = erp.get("/api/v1/shipments/").json()["results"]
    assert [s["customs_answer"] for s in listed] == [None]


def test_an_answer_touches_the_shipments_updated_at_so_sync_sees_it(supplier, procurement):
    shipment = held(supplier)
    before = Shipment.objects.get(pk=shipment.pk).updated_at
    for step in range(1, 4):
        with time_machine.travel(NOW + dt.timedelta(minutes=step), tick=False):
            if step == 1:
                answer = services.customs_answer_record(shipment=shipment, text="Sent.", contact=contact_of(supplier))
            elif step == 2:
                services.customs_answer_reject(answer=answer, actor=procurement, reason="No.")
            else:
                services.customs_answer_record(shipment=shipment, text="Sent again.", actor=procurement)
        updated = Shipment.objects.get(pk=shipment.pk).updated_at
        assert updated == NOW + dt.timedelta(minutes=step) and updated > before, step
        before = updated
