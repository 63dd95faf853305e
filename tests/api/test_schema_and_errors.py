"""The OpenAPI schema renders without warnings and describes what the endpoints do; every
error, even an unexpected one, has the one error shape."""

from __future__ import annotations

from io import StringIO

import pytest
import yaml
from django.core.management import call_command

from core.api.exceptions import flatten

from .conftest import assert_error

pytestmark = pytest.mark.django_db


def test_the_schema_renders_without_warnings_and_validates():
    out = StringIO()
    # --fail-on-warn turns any drf-spectacular warning (an unannotated field, an unresolvable
    # type, an enum collision) into a failure.
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out, stderr=StringIO())
    schema = yaml.safe_load(out.getvalue())
    paths = schema["paths"]
    for path in (
        "/api/v1/applications/{id}/transition/",
        "/api/v1/shipments/bulk/",
        "/api/v1/purchase-orders/bulk/",
        "/api/v1/shipments/by-ref/{external_ref}/",
        "/api/v1/licences/",
        "/api/v1/items/{code}/",
    ):
        assert path in paths, path
    create = paths["/api/v1/shipments/"]["post"]
    assert {"201", "400", "401", "403", "409", "422", "429"} <= set(create["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in create["parameters"])
    assert any(p["name"] == "If-Match" for p in paths["/api/v1/shipments/{id}/"]["patch"]["parameters"])
    params = {p["name"] for p in paths["/api/v1/applications/"]["get"]["parameters"]}
    assert {"updated_since", "external_ref", "status", "supplier", "item", "overdue", "ordering", "page_size"} <= params
    application = schema["components"]["schemas"]["Application"]["properties"]
    for field in (
        "decision_due",
        "working_days_elapsed",
        "working_days_remaining",
        "overdue",
        "predicted_decision_p50",
        "predicted_decision_p90",
        "events",
        "lines",
    ):
        assert field in application, field
    assert schema["components"]["securitySchemes"]["apiKeyAuth"]["name"] == "Authorization"


def test_the_schema_and_docs_are_served(client):
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200


def test_nested_errors_flatten_to_attr_paths():
    detail = {
        "lines": [{}, {"quantity": ["Too big."]}],
        "non_field_errors": ["Bad."],
        "events": [{"licence": {"lines": [{"item": ["Unknown."]}]}}],
    }
    assert [e["attr"] for e in flatten(detail)] == ["lines[1].quantity", None, "events[0].licence.lines[0].item"]


def test_an_unexpected_error_still_has_the_error_shape(erp, monkeypatch):
    from shipments.api import views

    def boom(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(views.supplier_services, "supplier_save", boom)
    client = erp
    client.raise_request_exception = False
    body = assert_error(client.post("/api/v1/suppliers/", {"name": "A"}), 500, code="error")
    assert body["type"] == "server_error" and "bug" not in body["errors"][0]["detail"]


def test_a_lone_surrogate_in_the_body_is_a_400_not_a_500(erp):
    r = erp.post("/api/v1/suppliers/", '{"name": "\\ud800"}', content_type="application/json")
    assert_error(r, 400, code="parse_error")
