"""The same bad record through every door gets the same refusal: the same field, the same message.

A door is a real way in: the ERP API (a write key), the bulk API, the spreadsheet import (an
XLSX built with openpyxl, previewed through the upload page), the UI forms and the admin
(Django's test client, logged in) and a direct service call. Each door takes a record in one
neutral shape (``Shipment``-like dicts below), sends it its own way, and returns the refusals it
got as ``(field, message)`` pairs, the field reduced to its last part (``[0].lines[0].quantity``
and the import's column ``quantity`` are both ``quantity``).

Doors a record cannot come through are left out, each with its reason: suppliers and
applications have no bulk or import; purchase-order lines cannot be written in the admin; the
admin cannot set a shipment's licence or lines, so the licence cases reach it by reviving a
cancelled shipment (the admin's own way to make a shipment draw again); the import has no notes
column.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import openpyxl
import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from core.api.keys import api_key_create
from licensing import services as licensing_services
from licensing.models import LicenceStatus
from shipments import services as shipment_services
from shipments.models import Shipment
from suppliers import services as supplier_services

from .factories import (
    ControlledItemFactory,
    LicenceFactory,
    LicenceLineFactory,
    PurchaseOrderFactory,
    ShipmentFactory,
    ShipmentLineFactory,
    SupplierFactory,
    UserFactory,
)

NOW = dt.datetime(2025, 12, 1, 4, tzinfo=dt.UTC)
OUT_OF_RANGE = "1999-12-31 is outside the dates this product accepts (2000-01-01 to 2100-12-31)."
AFTER_RANGE = "2101-01-01 is outside the dates this product accepts (2000-01-01 to 2100-12-31)."
C1 = "\x9b"  # CSI, a C1 control character (openpyxl can write it; it refuses most C0 ones)


@dataclass
class World:
    supplier: Any
    other: Any
    dy: Any
    own_po: Any
    other_po: Any
    licence: Any
    expired: Any
    users: dict[str, Any] = field(default_factory=dict)


@pytest.fixture
def world(db):
    with time_machine.travel(NOW, tick=False):
        supplier = SupplierFactory(name="Ganzhou Rare Metals")
        other = SupplierFactory(name="Other Metals")
        dy = ControlledItemFactory(code="DY", name="Dysprosium oxide")
        licence = LicenceLineFactory(licence__supplier=supplier, licence__number="LIC-1", item=dy).licence
        expired = LicenceFactory(
            supplier=supplier, number="LIC-OLD", valid_from=dt.date(2024, 6, 1), valid_until=dt.date(2025, 5, 31),
            status=LicenceStatus.EXPIRED,
        )
        LicenceLineFactory(licence=expired, item=dy)
        w = World(
            supplier=supplier, other=other, dy=dy, licence=licence, expired=expired,
            own_po=PurchaseOrderFactory(number="PO-OWN", supplier=supplier),
            other_po=PurchaseOrderFactory(number="PO-OTHER", supplier=other),
        )
        w.users = {
            "procurement": UserFactory(username="procurement", role="procurement"),
            "admin": UserFactory(username="boss", role="admin", is_staff=True, is_superuser=True),
        }
        yield w


def leaf(name: str | None) -> str:
    """``[0].lines[1].quantity`` -> ``quantity``; None or ``__all__`` -> ``""``."""
    if not name or name == "__all__":
        return ""
    return re.sub(r"^(\[\d+\]\.)?(\w+\[\d+\]\.)*", "", name)


def from_validation(exc: ValidationError) -> set[tuple[str, str]]:
    return {(leaf(k), m) for k, messages in exc.message_dict.items() for m in messages}


def from_api(response) -> set[tuple[str, str]]:
    assert 400 <= response.status_code < 500, (response.status_code, response.content)
    return {(leaf(e["attr"]), e["detail"]) for e in response.json()["errors"]}


def from_forms(response, *names: str) -> set[tuple[str, str]]:
    """Errors on the page's form and formsets (``names`` in the template context)."""
    assert response.status_code == 200, response.status_code  # re-rendered with errors, not saved
    got: set[tuple[str, str]] = set()
    for name in names:
        obj = response.context[name]
        forms = obj.forms if hasattr(obj, "forms") else [obj]
        for form in forms:
            for key, messages in form.errors.items():
                got |= {(leaf(key), m) for m in messages}
    return got


def erp_client() -> APIClient:
    _, raw = api_key_create(name="sap-prod", scope="write")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    return client


def logged_in(client, user):
    client.force_login(user)
    return client


def xlsx(header: list[str], rows: list[list[Any]]) -> bytes:
    wb = openpyxl.Workbook()
    wb.active.append(header)
    for row in rows:
        wb.active.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def import_errors(client, url: str, header: list[str], rows: list[list[Any]]) -> set[tuple[str, str]]:
    """Upload the rows as an XLSX file for a preview: the row errors, by column."""
    response = client.post(url, {"file": SimpleUploadedFile("records.xlsx", xlsx(header, rows))})
    assert response.status_code == 422, response.status_code  # refused, nothing stored
    return {(leaf(e.column), e.message) for e in response.context["result"].errors}


def formset(prefix: str, lines: list[dict[str, Any]]) -> dict[str, Any]:
    data = {f"{prefix}-TOTAL_FORMS": len(lines), f"{prefix}-INITIAL_FORMS": 0}
    for i, line in enumerate(lines):
        data |= {f"{prefix}-{i}-{k}": v for k, v in line.items()}
    return data


def _pk(obj) -> Any:
    return obj.pk if obj is not None else ""


# --- Shipments ------------------------------------------------------------------------------------


def shipment_record(w: World, **change) -> dict[str, Any]:
    record = {
        "reference": "BL-DOOR-1",
        "supplier": w.supplier,
        "purchase_order": w.own_po,
        "licence": w.licence,
        "planned_ship_date": "2025-12-10",
        "notes": "",
        "lines": [{"item": w.dy, "quantity": "100", "unit": "kg"}],
    }
    return record | change


def shipment_service(w, record, client):
    data = dict(record)
    data["planned_ship_date"] = dt.date.fromisoformat(data["planned_ship_date"])
    with pytest.raises(ValidationError) as exc:
        shipment_services.shipment_save(actor=w.users["procurement"], **data)
    return from_validation(exc.value)


def _shipment_json(record) -> dict[str, Any]:
    return {
        "reference": record["reference"],
        "supplier": record["supplier"].pk,
        "purchase_order": _pk(record["purchase_order"]) or None,
        "licence": _pk(record["licence"]) or None,
        "planned_ship_date": record["planned_ship_date"],
        "notes": record["notes"],
        "lines": [{"item": li["item"].code, "quantity": li["quantity"], "unit": li["unit"]} for li in record["lines"]],
    }


def api_doors(url: str, to_json: Callable[[dict], dict]) -> tuple[Callable, Callable]:
    """The API door (one record) and the bulk door (a one-row upsert by ``external_ref``)."""

    def api(w, record, client):
        return from_api(erp_client().post(url, to_json(record), format="json"))

    def bulk(w, record, client):
        row = to_json(record) | {"external_ref": "ERP-DOOR-1"}
        return from_api(erp_client().post(f"{url}bulk/", [row], format="json"))

    return api, bulk


shipment_api, shipment_bulk = api_doors("/api/v1/shipments/", _shipment_json)


def shipment_import(w, record, client):
    header = ["reference", "supplier", "purchase_order", "licence", "planned_ship_date", "item", "quantity", "unit"]
    rows = [
        [
            record["reference"], record["supplier"].name, getattr(record["purchase_order"], "number", ""),
            getattr(record["licence"], "number", ""), record["planned_ship_date"], li["item"].code, li["quantity"],
            li["unit"],
        ]
        for li in record["lines"]
    ]
    return import_errors(logged_in(client, w.users["procurement"]), "/shipments/import/", header, rows)


def shipment_ui(w, record, client):
    data = {
        "reference": record["reference"],
        "supplier": record["supplier"].pk,
        "purchase_order": _pk(record["purchase_order"]),
        "licence": _pk(record["licence"]),
        "status": "planned",
        "planned_ship_date": record["planned_ship_date"],
        "notes": record["notes"],
    } | formset("lines", [{"item": li["item"].pk, "quantity": li["quantity"], "unit": li["unit"]}
                          for li in record["lines"]])
    response = logged_in(client, w.users["procurement"]).post("/shipments/new/", data)
    return from_forms(response, "form", "lines")


def _admin_form_errors(response) -> set[tuple[str, str]]:
    assert response.status_code == 200, response.status_code
    form = response.context_data["adminform"].form
    return {(leaf(k), m) for k, messages in form.errors.items() for m in messages}


def shipment_admin(w, record, client):
    logged_in(client, w.users["admin"])
    data = {
        "reference": record["reference"],
        "supplier": record["supplier"].pk,
        "purchase_order": _pk(record["purchase_order"]),
        "status": "planned",
        "transport_mode": "",
        "planned_ship_date": record["planned_ship_date"],
        "notes": record["notes"],
        "external_ref": "",
        "lines-TOTAL_FORMS": 0, "lines-INITIAL_FORMS": 0,
    }
    if record["licence"] is None:
        return _admin_form_errors(client.post("/admin/shipments/shipment/add/", data))
    # The admin cannot set a licence or lines: a cancelled shipment that holds them is revived.
    cancelled = ShipmentFactory(
        supplier=record["supplier"], licence=record["licence"], status="cancelled",
        reference=record["reference"], planned_ship_date=dt.date(2025, 12, 10), eta=None,
    )
    for li in record["lines"]:
        ShipmentLineFactory(shipment=cancelled, item=li["item"], quantity=li["quantity"], unit=li["unit"])
    data["lines-INITIAL_FORMS"] = data["lines-TOTAL_FORMS"] = len(record["lines"])
    for i, line in enumerate(cancelled.lines.all()):
        data[f"lines-{i}-id"] = line.pk
        data[f"lines-{i}-shipment"] = cancelled.pk
    return _admin_form_errors(client.post(f"/admin/shipments/shipment/{cancelled.pk}/change/", data))


SHIPMENT_DOORS: dict[str, Callable] = {
    "service": shipment_service,
    "api": shipment_api,
    "bulk": shipment_bulk,
    "import": shipment_import,
    "ui": shipment_ui,
    "admin": shipment_admin,
}

SHIPMENT_CASES = {
    "purchase order of another supplier": (
        lambda w: shipment_record(w, purchase_order=w.other_po, licence=None),
        ("purchase_order", "Purchase order PO-OTHER belongs to another supplier."),
        (),
    ),
    "over-draw": (
        lambda w: shipment_record(w, lines=[{"item": w.dy, "quantity": "1500", "unit": "kg"}]),
        ("quantity", "Licence LIC-1 has 1000 kg of DY left; this shipment asks for 1500 kg."),
        (),
    ),
    "shipment on an expired licence": (
        lambda w: shipment_record(w, licence=w.expired),
        ("licence", "Licence LIC-OLD expired on 2025-05-31."),
        (),
    ),
    "control character in a single-line field": (
        lambda w: shipment_record(w, reference=f"BL{C1}1", licence=None),
        ("reference", "Control characters are not allowed in a single-line field (found U+009B)."),
        (),
    ),
    "control character in multi-line text": (
        lambda w: shipment_record(w, notes="Line one\nbell\x07", licence=None),
        ("notes", "Control characters are not allowed in text (tab and line breaks are) (found U+0007)."),
        ("import",),  # the shipment import has no notes column
    ),
    "date out of range": (
        lambda w: shipment_record(w, planned_ship_date="1999-12-31", licence=None),
        ("planned_ship_date", OUT_OF_RANGE),
        (),
    ),
    "date after the range": (
        lambda w: shipment_record(w, planned_ship_date="2101-01-01", licence=None),
        ("planned_ship_date", AFTER_RANGE),
        (),
    ),
}


@pytest.mark.parametrize(
    ("case", "door"),
    [(case, door) for case, (_, _, absent) in SHIPMENT_CASES.items() for door in SHIPMENT_DOORS if door not in absent],
)
def test_a_bad_shipment_is_refused_alike_at_every_door(world, client, case, door):
    build, expected, _ = SHIPMENT_CASES[case]
    with time_machine.travel(NOW, tick=False):
        got = SHIPMENT_DOORS[door](world, build(world), client)
    if door == "admin" and expected[0] in ("quantity", "licence"):
        expected = ("", expected[1])  # read-only in the admin: their errors show above the form
    assert expected in got, got
    assert not Shipment.objects.filter(reference=build(world)["reference"]).exclude(status="cancelled").exists()


# --- Suppliers (country) and applications (country, purchase order) ----------------------------------


def supplier_service(w, record, client):
    with pytest.raises(ValidationError) as exc:
        supplier_services.supplier_save(actor=w.users["procurement"], **record)
    return from_validation(exc.value)


def supplier_api(w, record, client):
    return from_api(erp_client().post("/api/v1/suppliers/", record, format="json"))


def supplier_ui(w, record, client):
    response = logged_in(client, w.users["procurement"]).post("/suppliers/new/", record | {"active": "on"})
    return from_forms(response, "form")


def supplier_admin(w, record, client):
    response = logged_in(client, w.users["admin"]).post("/admin/suppliers/supplier/add/", record | {"active": "on"})
    return _admin_form_errors(response)


def application_record(w, **change) -> dict[str, Any]:
    return {
        "supplier": w.supplier, "purchase_order": w.own_po, "end_user": "Motor Works GmbH",
        "destination_country": "DE", "kind": "single",
    } | change


def _application_form(record) -> dict[str, Any]:
    return record | {"supplier": record["supplier"].pk, "purchase_order": _pk(record["purchase_order"])}


def application_service(w, record, client):
    with pytest.raises(ValidationError) as exc:
        licensing_services.application_create(actor=w.users["procurement"], **record)
    return from_validation(exc.value)


def application_api(w, record, client):
    data = _application_form(record) | {"purchase_order": _pk(record["purchase_order"]) or None}
    return from_api(erp_client().post("/api/v1/applications/", data, format="json"))


def application_ui(w, record, client):
    data = _application_form(record) | formset("lines", [])
    response = logged_in(client, w.users["procurement"]).post("/applications/new/", data)
    return from_forms(response, "form", "lines")


def application_admin(w, record, client):
    data = _application_form(record) | {
        "time_limit_exemption": "", "transport_mode": "",
        "lines-TOTAL_FORMS": 0, "lines-INITIAL_FORMS": 0, "events-TOTAL_FORMS": 0, "events-INITIAL_FORMS": 0,
    }
    response = logged_in(client, w.users["admin"]).post("/admin/licensing/licenceapplication/add/", data)
    return _admin_form_errors(response)


COUNTRY_DOORS = {
    "supplier": {"service": supplier_service, "api": supplier_api, "ui": supplier_ui, "admin": supplier_admin},
    "application": {
        "service": application_service, "api": application_api, "ui": application_ui, "admin": application_admin,
    },
}
COUNTRY_CASES = {
    "lower-case country": ("de", "'de' is not an ISO 3166 country code; use capitals, e.g. DE."),
    "unknown country": ("ZZ", "'ZZ' is not an ISO 3166 country code, e.g. DE."),
}


@pytest.mark.parametrize(
    ("kind", "door"), [(kind, door) for kind, doors in COUNTRY_DOORS.items() for door in doors]
)
@pytest.mark.parametrize("case", list(COUNTRY_CASES))
def test_a_bad_country_is_refused_alike_at_every_door(world, client, case, kind, door):
    code, message = COUNTRY_CASES[case]
    if kind == "supplier":
        record, name = {"name": "Baotou Door Co.", "country": code}, "country"
    else:
        record, name = application_record(world, destination_country=code), "destination_country"
    with time_machine.travel(NOW, tick=False):
        got = COUNTRY_DOORS[kind][door](world, record, client)
    assert (name, message) in got, got


@pytest.mark.parametrize("door", list(COUNTRY_DOORS["application"]))
def test_an_application_naming_another_suppliers_order_is_refused_alike_at_every_door(world, client, door):
    record = application_record(world, purchase_order=world.other_po)
    with time_machine.travel(NOW, tick=False):
        got = COUNTRY_DOORS["application"][door](world, record, client)
    assert ("purchase_order", "Purchase order PO-OTHER belongs to another supplier.") in got, got


# --- Purchase orders (currency) -------------------------------------------------------------------


def po_record(w, currency: str) -> dict[str, Any]:
    return {
        "number": "PO-DOOR-1", "supplier": w.supplier, "order_date": "2025-11-01",
        "lines": [{"item": w.dy, "quantity": "100", "unit": "kg", "unit_price": "12.5", "currency": currency}],
    }


def po_service(w, record, client):
    data = record | {"order_date": dt.date.fromisoformat(record["order_date"])}
    with pytest.raises(ValidationError) as exc:
        shipment_services.purchase_order_save(actor=w.users["procurement"], **data)
    return from_validation(exc.value)


def _po_json(record) -> dict[str, Any]:
    return record | {
        "supplier": record["supplier"].pk,
        "lines": [li | {"item": li["item"].code} for li in record["lines"]],
    }


po_api, po_bulk = api_doors("/api/v1/purchase-orders/", _po_json)


def po_import(w, record, client):
    header = ["number", "supplier", "order_date", "item", "quantity", "unit", "unit_price", "currency"]
    rows = [
        [record["number"], record["supplier"].name, record["order_date"], li["item"].code, li["quantity"], li["unit"],
         li["unit_price"], li["currency"]]
        for li in record["lines"]
    ]
    return import_errors(logged_in(client, w.users["procurement"]), "/purchase-orders/import/", header, rows)


def po_ui(w, record, client):
    data = {
        "number": record["number"], "supplier": record["supplier"].pk, "order_date": record["order_date"],
        "status": "open",
    } | formset("lines", [li | {"item": li["item"].pk} for li in record["lines"]])
    response = logged_in(client, w.users["procurement"]).post("/purchase-orders/new/", data)
    return from_forms(response, "form", "lines")


PO_DOORS = {"service": po_service, "api": po_api, "bulk": po_bulk, "import": po_import, "ui": po_ui}
CURRENCY_CASES = {
    "unknown currency": ("u$", "'u$' is not an ISO 4217 currency code, e.g. USD."),
    "lower-case currency": ("usd", "'usd' is not an ISO 4217 currency code; use capitals, e.g. USD."),
}


@pytest.mark.parametrize("door", list(PO_DOORS))
@pytest.mark.parametrize("case", list(CURRENCY_CASES))
def test_a_bad_currency_is_refused_alike_at_every_door(world, client, case, door):
    code, message = CURRENCY_CASES[case]
    with time_machine.travel(NOW, tick=False):
        got = PO_DOORS[door](world, po_record(world, code), client)
    assert ("currency", message) in got, got


# --- Workflow steps (the step's date) -------------------------------------------------------------


def step_service(w, application, step):
    with pytest.raises(ValidationError) as exc:
        licensing_services.application_transition(application=application, actor=w.users["procurement"], **step)
    return from_validation(exc.value)


def step_api(w, application, step):
    return from_api(erp_client().post(f"/api/v1/applications/{application.pk}/transition/", step, format="json"))


def step_ui(w, application, step, client):
    response = logged_in(client, w.users["procurement"]).post(f"/applications/{application.pk}/transition/", step)
    assert response.status_code == 422, response.status_code
    return {(leaf(k), m) for k, messages in response.context["transition_form"].errors.items() for m in messages}


@pytest.mark.parametrize("door", ["service", "api", "ui"])
@pytest.mark.parametrize("on", ["0001-01-01", "1999-12-31", "2101-01-01", "9999-12-31"])
def test_a_workflow_step_dated_out_of_range_is_refused_alike_at_every_door(world, client, door, on):
    """The dates of the finding (0001-01-01 showed 528,403 working days elapsed) and both edges."""
    with time_machine.travel(NOW, tick=False):
        application = licensing_services.application_create(**application_record(world))
        step = {"to": "submitted", "on": on, "note": ""}
        if door == "service":
            got = step_service(world, application, step)
        elif door == "api":
            got = step_api(world, application, step)
        else:
            got = step_ui(world, application, step, client)
    assert ("on", OUT_OF_RANGE.replace("1999-12-31", on)) in got, got
    application.refresh_from_db()
    assert application.status == "draft" and not application.events.exists()
