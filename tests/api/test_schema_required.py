"""The schema's ``required`` is the server's: for every write operation, a body of only the fields
the schema marks required is accepted, and leaving out any one of them is a 400 naming it. A
generated client builds its request models from ``required`` (required fields are constructor
arguments, the rest are left out), so a field the server needs but the schema calls optional
would make every such client fail, and one marked required that is not would make it send
fields the caller never meant to."""

from __future__ import annotations

import pytest

from tests.api.conftest import assert_error
from tests.factories import ApplicationFactory, PurchaseOrderLineFactory, ShipmentLineFactory

pytestmark = pytest.mark.django_db

# A valid value for each required field, by name (ids and references are filled in per test).
VALUES = {
    "name": "Minimal",
    "number": "MIN-1",
    "reference": "BL-MIN-1",
    "order_date": "2025-11-20",
    "valid_from": "2025-11-20",
    "valid_until": "2026-11-30",
    "date": "2026-02-01",
    "on": "2025-11-28",
    "destination_country": "DE",
    "end_user": "Motor Works GmbH",
    "item": "DY",
    "quantity": "1",
    "approved_quantity": "10",
    "unit_value": "1",
    "rate": "1.1",
    "title": "A minimal event",
    "sku": "SKU-MIN-1",
    "currency": "EUR",
    "url": "https://93.184.215.14/hook",
    "to": "submitted",
    "reason": "Recorded on the wrong application",
}


@pytest.fixture
def schema(erp, frozen):
    return erp.get("/api/schema/?format=json").json()


@pytest.fixture
def rows(supplier, dy):
    """What the bodies refer to: a draft application, a known shipment and purchase order."""
    po = PurchaseOrderLineFactory(purchase_order__supplier=supplier, purchase_order__external_ref="PO-KNOWN", item=dy)
    ShipmentLineFactory(shipment__supplier=supplier, shipment__external_ref="SH-KNOWN", item=dy)
    application = ApplicationFactory(supplier=supplier)
    return {"supplier": supplier.pk, "application": application.pk, "purchase_order": po.purchase_order.pk}


def resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node or "allOf" in node:
        if "allOf" in node:
            node = node["allOf"][0]
        name = node["$ref"].rsplit("/", 1)[1]
        node = schema["components"]["schemas"][name]
    return node


def minimal(schema: dict, node: dict, refs: dict, name: str = ""):
    """A value for ``node`` with only its required properties (arrays with one item)."""
    node = resolve(schema, node)
    if node.get("type") == "array":
        return [minimal(schema, node["items"], refs, name)]
    if node.get("type") == "object" or "properties" in node:
        return {key: minimal(schema, node["properties"][key], refs, key) for key in node.get("required", [])}
    if name in refs:
        return refs[name]
    if name in VALUES:
        return VALUES[name]
    if "enum" in node:
        return node["enum"][0]
    raise AssertionError(f"give tests/api/test_schema_required.py a value for the required field {name!r}")


def write_operations(schema: dict):
    for path, ops in schema["paths"].items():
        for method in ("post", "put", "patch"):
            op = ops.get(method)
            if op is None or "requestBody" not in op:
                continue
            body = op["requestBody"]["content"]["application/json"]["schema"]
            yield path, method, body


def url_of(path: str, refs: dict) -> str:
    return path.replace("{id}", str(refs["id"])).replace("{external_ref}", "NEW-REF")


def test_every_create_accepts_a_body_of_only_its_required_fields(erp, schema, rows):
    answered = {}
    for path, method, body_schema in write_operations(schema):
        if method != "post":
            continue
        refs = {**rows, "id": rows["application"], "external_ref": "SH-KNOWN" if "shipments" in path else "PO-KNOWN"}
        body = minimal(schema, body_schema, refs)
        response = erp.post(url_of(path, refs), body, format="json")
        answered[path] = (response.status_code, response.content[:500])
    # 409 is the record's state refusing a valid body (the fixture's application has no step to
    # correct): the body itself was accepted, which is what this test is about.
    refused = {path: answer for path, answer in answered.items() if answer[0] not in (200, 201, 409)}
    assert not refused, refused
    assert {"/api/v1/shipments/", "/api/v1/shipments/bulk/", "/api/v1/purchase-orders/bulk/"} <= set(answered)


@pytest.mark.parametrize(
    ("path", "field", "attr"),
    [
        ("/api/v1/shipments/", "lines", "lines"),
        ("/api/v1/shipments/", "reference", "reference"),
        ("/api/v1/shipments/", "supplier", "supplier"),
        ("/api/v1/shipments/bulk/", "external_ref", "[0].external_ref"),
        ("/api/v1/purchase-orders/bulk/", "external_ref", "[0].external_ref"),
    ],
)
def test_a_body_without_a_required_field_is_refused_naming_it(erp, schema, rows, path, field, attr):
    body_schema = schema["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
    refs = {**rows, "external_ref": "SH-KNOWN" if "shipments" in path else "PO-KNOWN"}
    body = minimal(schema, body_schema, refs)
    row = body[0] if isinstance(body, list) else body
    assert field in row, f"the schema no longer marks {field} required for {path}"
    del row[field]
    assert_error(erp.post(path, body, format="json"), 400, attr, "required")


def test_every_field_required_in_a_create_body_is_refused_when_missing(erp, schema, rows):
    """The general form of the case above, for every create: each required field, left out, is
    a 400 naming it (or, for the bulk upserts, naming it in row 0)."""
    for path, method, body_schema in write_operations(schema):
        if method != "post" or "{" in path:
            continue
        refs = {**rows, "external_ref": "SH-KNOWN" if "shipments" in path else "PO-KNOWN"}
        body = minimal(schema, body_schema, refs)
        row = body[0] if isinstance(body, list) else body
        for field in list(row):
            without = [{k: v for k, v in row.items() if k != field}] if isinstance(body, list) else {
                k: v for k, v in row.items() if k != field
            }
            attr = f"[0].{field}" if isinstance(body, list) else field
            assert_error(erp.post(path, without, format="json"), 400, attr)
