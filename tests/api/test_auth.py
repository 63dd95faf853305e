"""Keys, scopes and roles: who may read and write over the API, and how keys are issued,
stored, used and revoked (command, admin, settings page)."""

from __future__ import annotations

import datetime as dt
import hashlib
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from core.api.keys import api_key_create, api_key_revoke
from core.models import ApiKey

from .conftest import NOW, assert_error

pytestmark = pytest.mark.django_db

NEW_SUPPLIER = {"name": "Baotou Steel Rare Earth"}


def test_it_answers_401_without_credentials(anon):
    r = anon.get("/api/v1/suppliers/")
    assert_error(r, 401, code="not_authenticated")
    assert r["WWW-Authenticate"] == "Token"


def test_it_answers_401_to_an_unknown_key(anon):
    anon.credentials(HTTP_AUTHORIZATION="Token rt_not-a-real-key")
    assert_error(anon.get("/api/v1/suppliers/"), 401, code="authentication_failed")


def test_it_answers_401_to_a_malformed_header(anon):
    anon.credentials(HTTP_AUTHORIZATION="Token two words")
    assert_error(anon.get("/api/v1/suppliers/"), 401)


def test_it_answers_401_to_a_revoked_key(erp):
    assert erp.get("/api/v1/suppliers/").status_code == 200
    api_key_revoke(api_key=erp.api_key)
    assert_error(erp.get("/api/v1/suppliers/"), 401, code="authentication_failed")


def test_a_read_key_reads_but_cannot_write(erp_read):
    assert erp_read.get("/api/v1/suppliers/").status_code == 200
    body = assert_error(erp_read.post("/api/v1/suppliers/", NEW_SUPPLIER), 403, code="permission_denied")
    assert "read scope" in body["errors"][0]["detail"]


def test_a_write_key_writes(erp):
    r = erp.post("/api/v1/suppliers/", NEW_SUPPLIER)
    assert r.status_code == 201, r.json()
    assert r.json()["name"] == NEW_SUPPLIER["name"]


def test_a_viewer_session_reads_but_cannot_write(viewer_client):
    assert viewer_client.get("/api/v1/suppliers/").status_code == 200
    assert_error(viewer_client.post("/api/v1/suppliers/", NEW_SUPPLIER), 403)


def test_a_user_without_a_role_cannot_read(outsider_client):
    assert_error(outsider_client.get("/api/v1/suppliers/"), 403)


def test_a_procurement_session_writes(procurement_client):
    assert procurement_client.post("/api/v1/suppliers/", NEW_SUPPLIER).status_code == 201


def test_session_writes_need_the_csrf_token(procurement):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(procurement)
    body = assert_error(client.post("/api/v1/suppliers/", NEW_SUPPLIER), 403)
    assert "CSRF" in body["errors"][0]["detail"]


def test_policy_events_need_the_compliance_role_for_people(procurement_client, compliance_client, erp):
    event = {"date": "2026-11-10", "title": "Suspension ends", "jurisdiction": "CN", "kind": "expiry"}
    assert_error(procurement_client.post("/api/v1/policy-events/", event), 403)
    assert compliance_client.post("/api/v1/policy-events/", event).status_code == 201
    assert erp.post("/api/v1/policy-events/", {**event, "title": "Other"}).status_code == 201


def test_keys_are_stored_as_a_sha256_only(db):
    key, raw = api_key_create(name="oracle", scope="write")
    assert raw.startswith("rt_") and len(raw) > 40
    assert key.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in {key.name, key.prefix, key.key_hash}
    assert raw.startswith(key.prefix)


def test_it_records_a_keys_use_at_most_once_a_minute(erp):
    with time_machine.travel(NOW, tick=False) as clock:
        erp.get("/api/v1/items/")
        erp.api_key.refresh_from_db()
        assert erp.api_key.last_used_at == NOW
        clock.shift(dt.timedelta(seconds=30))
        erp.get("/api/v1/items/")
        erp.api_key.refresh_from_db()
        assert erp.api_key.last_used_at == NOW  # not written again within the minute
        clock.shift(dt.timedelta(seconds=31))
        erp.get("/api/v1/items/")
        erp.api_key.refresh_from_db()
        assert erp.api_key.last_used_at == NOW + dt.timedelta(seconds=61)


def test_it_throttles_per_key(erp, erp_read, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "api_key": "2/min"},
    }
    assert erp.get("/api/v1/items/").status_code == 200
    assert erp.get("/api/v1/items/").status_code == 200
    r = erp.get("/api/v1/items/")
    assert_error(r, 429, code="throttled")
    assert int(r["Retry-After"]) > 0
    # Another key has its own allowance.
    assert erp_read.get("/api/v1/items/").status_code == 200


def test_the_command_prints_the_key_once_as_the_last_line(db):
    out, err = StringIO(), StringIO()
    call_command("create_api_key", "dynamics", "--scope", "write", stdout=out, stderr=err)
    raw = out.getvalue().strip().splitlines()[-1]
    assert out.getvalue().strip() == raw  # alone
    key = ApiKey.objects.get(name="dynamics")
    assert key.scope == "write"
    assert key.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    assert client.post("/api/v1/suppliers/", NEW_SUPPLIER).status_code == 201


def test_the_command_refuses_a_duplicate_name(db):
    call_command("create_api_key", "sap", stdout=StringIO(), stderr=StringIO())
    with pytest.raises(CommandError, match="exists already"):
        call_command("create_api_key", "sap", stdout=StringIO(), stderr=StringIO())


def test_the_admin_shows_a_new_key_once_and_revokes(admin_user, client):
    client.force_login(admin_user)
    r = client.post("/admin/core/apikey/add/", {"name": "sap-test", "scope": "read"}, follow=True)
    assert r.status_code == 200
    key = ApiKey.objects.get(name="sap-test")
    shown = [str(m) for m in r.context["messages"]]
    raw = next(m.split(" is ")[1].split(" ")[0] for m in shown if "sap-test" in m)
    assert key.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    r = client.post("/admin/core/apikey/", {"action": "revoke", "_selected_action": [key.pk]}, follow=True)
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_the_settings_page_creates_shows_once_and_revokes(admin_user, client):
    client.force_login(admin_user)
    r = client.post("/settings/api-keys/", {"name": "sap-ui", "scope": "write"})
    assert r.status_code == 200
    raw = r.context["new_key"]
    key = ApiKey.objects.get(name="sap-ui")
    assert key.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw in r.content.decode()
    again = client.get("/settings/api-keys/")
    assert raw not in again.content.decode() and "sap-ui" in again.content.decode()
    client.post(f"/settings/api-keys/{key.pk}/revoke/")
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_the_settings_page_is_for_admins_only(procurement, client):
    assert client.get("/settings/api-keys/").status_code == 302  # to the login form
    client.force_login(procurement)
    assert client.get("/settings/api-keys/").status_code == 403
    assert client.post("/settings/api-keys/", {"name": "x", "scope": "write"}).status_code == 403
    assert not ApiKey.objects.exists()
