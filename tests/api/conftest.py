"""API fixtures: ERP clients with read and write keys, session clients per persona, and a
cache of their own per test (throttle counters must not leak between tests)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import time_machine
from rest_framework.test import APIClient

from core.api.keys import api_key_create
from tests.factories import ControlledItemFactory, SupplierFactory

# Every API test runs on a fixed day (the statutory clock counts days in Shanghai).
NOW = dt.datetime(2025, 12, 1, 4, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _api_isolation(settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": uuid.uuid4().hex}
    }


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def key_client(scope: str, name: str) -> APIClient:
    key, raw = api_key_create(name=name, scope=scope)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    client.api_key = key
    client.raw_key = raw
    return client


@pytest.fixture
def erp(db):
    """An ERP integration with a write key."""
    return key_client("write", "sap-prod")


@pytest.fixture
def erp_read(db):
    return key_client("read", "bi-reader")


@pytest.fixture
def anon(db):
    return APIClient()


def session_client(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def viewer_client(viewer):
    return session_client(viewer)


@pytest.fixture
def procurement_client(procurement):
    return session_client(procurement)


@pytest.fixture
def compliance_client(compliance):
    return session_client(compliance)


@pytest.fixture
def outsider_client(outsider):
    return session_client(outsider)


@pytest.fixture
def dy(db):
    return ControlledItemFactory(code="DY", name="Dysprosium oxide", elements="Dy")


@pytest.fixture
def tb(db):
    return ControlledItemFactory(code="TB", name="Terbium metal", elements="Tb")


@pytest.fixture
def supplier(db):
    return SupplierFactory(name="Ganzhou Rare Metals")


def assert_error(response, status: int, attr: str | None = None, code: str | None = None) -> dict:
    """The response is the one error shape, with ``attr`` (and ``code``) among its errors."""
    assert response.status_code == status, (response.status_code, getattr(response, "data", response.content))
    body = response.json()
    assert set(body) == {"type", "errors"}, body
    assert body["type"] in ("validation_error", "client_error", "server_error")
    assert body["errors"] and all(set(e) == {"code", "detail", "attr"} for e in body["errors"]), body
    if attr is not None:
        assert attr in [e["attr"] for e in body["errors"]], body
    if code is not None:
        assert code in [e["code"] for e in body["errors"]], body
    return body


@pytest.fixture
def licence(supplier, dy):
    """An active licence of ``supplier`` for 1,000 kg of DY, valid 2025-06-01 to 2026-05-31."""
    from tests.factories import LicenceLineFactory

    return LicenceLineFactory(licence__supplier=supplier, licence__number="LIC-1", item=dy).licence
