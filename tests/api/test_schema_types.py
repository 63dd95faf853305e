"""The schema types what a generated client sends and reads: a path id is an integer, the id
filters are integer query parameters, and the response headers a client must act on (``ETag``
for ``If-Match``, ``Idempotent-Replayed`` on a replayed POST, ``Retry-After`` on a 429) are
declared where the server sends them. A client generated from a schema that typed ids as
strings would accept ``"abc"`` and meet a 404 at run time; one without ``ETag`` declared
cannot read the version it must send back."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

ID_FILTERS = {"supplier", "licence", "purchase_order", "application", "scenario", "subject_id"}
METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture
def schema(erp, frozen):
    return erp.get("/api/schema/?format=json").json()


def operations(schema):
    for path, item in schema["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def params(operation, where):
    return {p["name"]: p for p in operation.get("parameters", []) if p["in"] == where}


def test_every_path_id_is_an_integer(schema):
    seen = 0
    for path, method, operation in operations(schema):
        if "{id}" not in path:
            continue
        seen += 1
        assert params(operation, "path")["id"]["schema"]["type"] == "integer", f"{method.upper()} {path}"
    assert seen > 20


def test_the_id_filters_are_integer_query_parameters(schema):
    found = set()
    for path, method, operation in operations(schema):
        for name, param in params(operation, "query").items():
            if name in ID_FILTERS:
                found.add(name)
                assert param["schema"]["type"] == "integer", f"{name} on {method.upper()} {path}"
    assert found == ID_FILTERS


def headers(operation, status):
    return operation["responses"].get(str(status), {}).get("headers", {})


def test_a_single_resource_answer_declares_its_etag(schema):
    for path, method, operation in operations(schema):
        if "{id}" in path and method in ("get", "put", "patch") and not path.endswith("/history/"):
            ok = [s for s in ("200", "201") if s in operation["responses"]]
            assert ok, f"{method.upper()} {path}"
            assert "ETag" in headers(operation, ok[0]), f"{method.upper()} {path}"


def test_a_post_declares_the_replay_header_and_every_operation_its_retry_after(schema):
    posts = 0
    for path, method, operation in operations(schema):
        if path.startswith("/api/schema"):
            continue
        if method == "post":
            posts += 1
            ok = next(s for s in ("201", "200") if s in operation["responses"])
            assert "Idempotent-Replayed" in headers(operation, ok), path
        retry = headers(operation, 429).get("Retry-After")
        assert retry and retry["schema"]["type"] == "integer", f"{method.upper()} {path}"
    assert posts > 5
