"""Bad input is a 4xx in the API's error shape, never a 500 or a foreign page: bodies over the
limit (413), JSON nested too deep (400), URIs too long (414, from Django and from gunicorn),
query values a filter cannot read (400 naming them), an empty If-Match (400); and a replayed
idempotent answer carries its ETag."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import assert_error

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_a_body_over_the_limit_answers_413_before_it_is_read(erp, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"name": "x" * 2000})
    r = erp.generic("POST", "/api/v1/suppliers/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k")
    assert_error(r, 413, code="too_large")
    # 50 MiB announced (the default limit), nothing sent: refused on the header alone.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024
    r = erp.generic("POST", "/api/v1/suppliers/", "{}", content_type="application/json",
                    CONTENT_LENGTH=str(51 * 1024 * 1024))
    assert_error(r, 413, code="too_large")


@pytest.mark.parametrize("depth", [40, 950, 5000])
def test_json_nested_deeper_than_the_limit_answers_400(erp, depth):
    body = "[" * depth + "]" * depth
    r = erp.generic("POST", "/api/v1/suppliers/", body, content_type="application/json")
    assert_error(r, 400, code="too_deep")
    nested = "[" + '{"a":' * depth + '{"name": "A"}' + "}" * depth + "]"
    r = erp.generic("POST", "/api/v1/shipments/bulk/", nested, content_type="application/json")
    assert_error(r, 400, code="too_deep")


def test_a_uri_over_the_limit_answers_414_in_the_error_shape(erp):
    assert_error(erp.get("/api/v1/suppliers/", {"external_ref": "x" * 5000}), 414, code="uri_too_long")


@pytest.mark.parametrize(
    ("params", "attr"),
    [
        ({"page_size": "abc"}, "page_size"),
        ({"updated_since": ""}, "updated_since"),
        ({"external_ref": ""}, "external_ref"),
        ({"supplier": "abc"}, "supplier"),
        ({"supplier": "1.5"}, "supplier"),
        ({"page": "0"}, "page"),
    ],
)
def test_query_values_a_filter_cannot_read_are_refused_by_name(erp, params, attr):
    url = "/api/v1/purchase-orders/" if "supplier" in params else "/api/v1/suppliers/"
    assert_error(erp.get(url, params), 400, attr)


def test_an_empty_if_match_is_malformed_400_not_412(erp, supplier):
    url = f"/api/v1/suppliers/{supplier.pk}/"
    assert_error(erp.patch(url, {"notes": "x"}, HTTP_IF_MATCH=""), 400, "If-Match")
    assert_error(erp.put("/api/v1/suppliers/by-ref/V-1/", {"name": "A"}, HTTP_IF_MATCH=" "), 400, "If-Match")


def test_a_replayed_answer_carries_the_etag_of_the_first(erp):
    first = erp.post("/api/v1/suppliers/", {"name": "A"}, HTTP_IDEMPOTENCY_KEY="k-1")
    again = erp.post("/api/v1/suppliers/", {"name": "A"}, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again["ETag"] == first["ETag"] == erp.get(f"/api/v1/suppliers/{first.json()['id']}/")["ETag"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _raw(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(request)
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_gunicorn_answers_its_own_limits_in_the_error_shape(tmp_path):
    """The Procfile's gunicorn with config/gunicorn.conf.py: a request line over its limit is
    refused before Django runs, in JSON."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(SECRET_KEY="test", VAR_DIR=str(tmp_path))
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi",
         "--bind", f"127.0.0.1:{port}", "--workers", "1", "--no-control-socket"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        answer = _raw(port, b"GET /api/v1/suppliers/?q=" + b"x" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 414") and b"application/json" in head
        assert json.loads(body)["errors"][0]["code"] == "uri_too_long"
        answer = _raw(port, b"GET /api/v1/ HTTP/1.1\r\nHost: x\r\n" + b"".join(
            b"X-%d: y\r\n" % i for i in range(150)) + b"\r\n")
        assert answer.startswith(b"HTTP/1.1 431")
        assert json.loads(answer.partition(b"\r\n\r\n")[2])["type"] == "client_error"
    finally:
        server.terminate()
        server.wait(10)
