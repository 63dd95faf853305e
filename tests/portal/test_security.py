"""The portal reaches nothing outside its supplier (docs/supplier-portal.md): another supplier's
ids on every portal URL, expired, revoked and guessed tokens are all the same 404 with nothing
disclosed; throttled; no session with the importer's UI; every action logged with contact and IP."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, get_resolver

from licensing.models import Document, SupplierMessage, SupplierReport
from portal import services
from portal import urls as portal_urls
from portal.models import PortalAccess, PortalLink
from shipments.models import CustomsAnswer
from shipments.services import shipment_save

from .conftest import PDF, TODAY

pytestmark = pytest.mark.django_db
REFUSED = "此页面不可用"


def portal_routes() -> list[str]:
    return [str(p.pattern) for p in portal_urls.urlpatterns if isinstance(p, URLPattern)
            and str(p.pattern).startswith("s/")]


def urls_for(token: str, app_id: int, hold_id: int) -> list[str]:
    """Every portal URL: an application's id on /a/ routes, a held shipment's on /h/ routes."""
    return ["/" + r.replace("<str:token>", token).replace("<int:pk>", str(hold_id if "/h/" in r else app_id))
            for r in portal_routes()]


def assert_refused(response, *secrets_):
    assert response.status_code == 404, response.status_code
    body = response.content.decode()
    assert REFUSED in body
    for secret in secrets_:
        assert secret not in body
    return response


def test_the_tokens_are_long_random_and_stored_hashed(portal_scene):
    ours, _ = portal_scene
    assert len(ours.token) >= 43  # 32 bytes, base64: 256 bits
    link = PortalLink.objects.get(contact=ours.contact, revoked_at__isnull=True)
    assert link.token_hash == hashlib.sha256(ours.token.encode()).hexdigest()
    assert ours.token not in str(PortalLink.objects.values_list().get(pk=link.pk))
    assert link.expires_at.date() == TODAY + dt.timedelta(days=90)


def test_another_suppliers_ids_are_refused_on_every_portal_url(portal_scene, client):
    ours, theirs = portal_scene
    with_ids = [r for r in portal_routes() if "<int:pk>" in r]
    assert len(with_ids) == 4
    bad_token = assert_refused(client.get(f"/s/{secrets.token_urlsafe(32)}/h/{ours.hold.pk}/"))
    posted = {"to": "accepted", "on": TODAY.isoformat(), "text": "Our answer", "regarding": "",
              "file": SimpleUploadedFile("a.pdf", PDF)}
    checked = 0
    for url in urls_for(ours.token, theirs.app.pk, theirs.hold.pk):
        if "/a/" not in url and "/h/" not in url:
            continue  # the routes without an id
        got = client.get(url)
        assert_refused(got, theirs.app.reference, theirs.supplier.name, theirs.po.number, theirs.hold.reference,
                       theirs.hold.customs_question)
        assert got.content == bad_token.content  # byte for byte the answer to a bad token
        if not url.endswith("/pack/"):
            posted["file"].seek(0)
            assert_refused(client.post(url, posted), theirs.app.reference, theirs.hold.reference)
        checked += 1
    assert checked == 4
    assert not SupplierReport.objects.exists() and not SupplierMessage.objects.exists()
    assert not CustomsAnswer.objects.exists() and not Document.objects.exists()
    theirs.app.refresh_from_db()
    assert theirs.app.status == "submitted"


def test_a_shipment_no_longer_held_is_refused_like_a_bad_token(portal_scene, client):
    ours, _ = portal_scene
    assert client.get(ours.hold_url).status_code == 200
    shipment_save(shipment=ours.hold, status="at_customs")
    assert_refused(client.get(ours.hold_url), ours.hold.reference)
    assert_refused(client.post(ours.hold_url, {"text": "late answer"}), ours.hold.reference)
    assert not CustomsAnswer.objects.exists()


@pytest.mark.parametrize("case", ["expired", "revoked", "guessed", "inactive"])
def test_bad_tokens_are_refused_alike_on_every_portal_url(portal_scene, client, case):
    ours, _ = portal_scene
    token = ours.token
    link = PortalLink.objects.get(contact=ours.contact, revoked_at__isnull=True)
    traveller = None
    if case == "expired":
        traveller = time_machine.travel(dt.datetime(2026, 6, 1, tzinfo=dt.UTC), tick=False)
        traveller.start()
    elif case == "revoked":
        services.link_revoke(link=link)
    elif case == "guessed":
        token = secrets.token_urlsafe(32)
    else:
        ours.contact.active = False
        ours.contact.save()
    try:
        for url in urls_for(token, ours.app.pk, ours.hold.pk):
            response = client.post(url, {"language": "en"}) if url.endswith("/language/") else client.get(url)
            assert_refused(response, ours.app.reference, ours.supplier.name, ours.contact.name)
    finally:
        if traveller:
            traveller.stop()
    assert PortalAccess.objects.filter(ok=False, action="refused").count() >= 1


def test_a_renewed_link_opens_again_and_a_new_link_revokes_the_old(portal_scene, client):
    ours, _ = portal_scene
    link = PortalLink.objects.get(contact=ours.contact, revoked_at__isnull=True)
    with time_machine.travel(dt.datetime(2026, 6, 1, tzinfo=dt.UTC), tick=False):
        assert client.get(ours.home).status_code == 404
        services.link_renew(link=link)
        assert client.get(ours.home).status_code == 200
        fresh = services.link_issue(contact=ours.contact)
        assert client.get(ours.home).status_code == 404
        assert client.get(f"/s/{fresh.token}/").status_code == 200


def test_it_throttles_by_ip(portal_scene, client, settings):
    ours, _ = portal_scene
    settings.PORTAL_THROTTLE_PER_MINUTE = 5
    codes = [client.get(ours.home).status_code for _ in range(7)]
    assert codes[:5] == [200] * 5 and codes[5:] == [429, 429]


def test_guessing_locks_the_ip_out_for_a_minute(portal_scene, client):
    ours, _ = portal_scene
    for _ in range(10):
        assert client.get(f"/s/{secrets.token_urlsafe(32)}/").status_code == 404
    assert client.get(ours.home).status_code == 429  # even a good link waits


def test_no_session_with_the_importers_ui(portal_scene, client, procurement):
    ours, _ = portal_scene
    client = type(client)(enforce_csrf_checks=True)
    response = client.get(ours.home)
    assert not response.cookies  # no session, no CSRF cookie: nothing but the link
    assert client.post(ours.app_url(), {"to": "accepted", "on": TODAY.isoformat()}).status_code == 302
    assert client.get("/applications/").status_code == 302  # the link is no login
    client.force_login(procurement)
    page = client.get(ours.home).content.decode()
    assert "procurement" not in page and "/applications/" not in page  # nor is a login a portal key
    assert client.get("/s/not-a-token/").status_code == 404


def test_every_portal_action_is_logged_with_contact_and_ip(portal_scene, client):
    ours, _ = portal_scene
    client.get(ours.home, REMOTE_ADDR="203.0.113.7")
    client.get(ours.app_url(), REMOTE_ADDR="203.0.113.7")
    client.post(ours.app_url(), {"to": "accepted", "on": TODAY.isoformat()}, REMOTE_ADDR="203.0.113.7")
    rows = list(PortalAccess.objects.filter(contact=ours.contact).order_by("id").values_list("action", "ip"))
    actions = [a for a, _ in rows]
    assert {ip for _, ip in rows} == {"203.0.113.7"}
    assert actions[:2] == ["home", "application"] and "report:accepted:held" in actions
    assert SupplierReport.objects.get().ip == "203.0.113.7"


def test_portal_routes_are_all_covered():
    assert set(portal_routes()) == {"s/<str:token>/", "s/<str:token>/a/<int:pk>/", "s/<str:token>/a/<int:pk>/pack/",
                                    "s/<str:token>/a/<int:pk>/message/", "s/<str:token>/h/<int:pk>/",
                                    "s/<str:token>/language/"}
    assert get_resolver().resolve("/s/abc/").url_name == "home"
