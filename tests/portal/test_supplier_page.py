"""Procurement's side of the portal on the supplier page (/suppliers/<id>/portal/): invite a
contact, renew and revoke a link, choose whether reports apply at once."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from portal.models import PortalLink
from suppliers.models import SupplierContact

pytestmark = pytest.mark.django_db


def action(client, side, **data):
    return client.post(f"/suppliers/{side.supplier.pk}/portal/", data, follow=True)


def live_link(side) -> PortalLink:
    return PortalLink.objects.filter(contact=side.contact, revoked_at__isnull=True).latest("id")


def test_an_invitation_shows_the_link_once_and_it_opens_the_portal(portal_scene, client, procurement):
    ours, _ = portal_scene
    client.force_login(procurement)
    page = action(client, ours, action="invite", name="Li Wei", email="Li.Wei@Example.cn", language="en")
    assert page.status_code == 200
    url = re.search(r'<code id="portal-url">([^<]+)</code>', page.content.decode()).group(1)
    contact = SupplierContact.objects.get(supplier=ours.supplier, email="li.wei@example.cn")
    assert contact.language == "en" and contact.portal_links.count() == 1
    client.logout()  # the portal needs no session
    portal = client.get(url.split("testserver", 1)[-1])
    assert portal.status_code == 200 and ours.app.reference in portal.content.decode()


def test_a_bad_invitation_names_the_field_and_creates_nothing(portal_scene, client, procurement):
    ours, _ = portal_scene
    client.force_login(procurement)
    before = SupplierContact.objects.count(), PortalLink.objects.count()
    page = action(client, ours, action="invite", name="Li Wei", email="not an address", language="en")
    assert "Not done: email:" in page.content.decode()
    assert (SupplierContact.objects.count(), PortalLink.objects.count()) == before


def test_renew_extends_and_revoke_closes_the_link_at_once(portal_scene, client, procurement, settings):
    ours, _ = portal_scene
    client.force_login(procurement)
    link = live_link(ours)
    PortalLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() + dt.timedelta(days=3))
    page = action(client, ours, action="renew", link=link.pk)
    link.refresh_from_db()
    assert link.expires_at == timezone.now() + dt.timedelta(days=settings.PORTAL_LINK_DAYS)
    assert f"Link of {ours.contact.name} renewed" in page.content.decode()
    assert client.get(ours.home).status_code == 200
    page = action(client, ours, action="revoke", link=link.pk)
    assert "revoked: it no longer opens anything" in page.content.decode()
    assert client.get(ours.home).status_code == 404


def test_another_suppliers_link_cannot_be_renewed_or_revoked_from_this_page(portal_scene, client, procurement):
    ours, theirs = portal_scene
    client.force_login(procurement)
    theirs_link = live_link(theirs)
    page = action(client, ours, action="revoke", link=theirs_link.pk)
    assert "No such portal link for this supplier." in page.content.decode()
    theirs_link.refresh_from_db()
    assert theirs_link.revoked_at is None and client.get(theirs.home).status_code == 200


def test_the_apply_at_once_setting_is_saved(portal_scene, client, procurement):
    ours, _ = portal_scene
    client.force_login(procurement)
    action(client, ours, action="settings", portal_apply_reports="on")
    ours.supplier.refresh_from_db()
    assert ours.supplier.portal_apply_reports is True
    action(client, ours, action="settings")
    ours.supplier.refresh_from_db()
    assert ours.supplier.portal_apply_reports is False


def test_a_viewer_cannot_invite_renew_or_revoke(portal_scene, client, viewer):
    ours, _ = portal_scene
    client.force_login(viewer)
    link = live_link(ours)
    for data in ({"action": "invite", "name": "X", "email": "x@example.cn", "language": "en"},
                 {"action": "revoke", "link": link.pk}):
        assert client.post(f"/suppliers/{ours.supplier.pk}/portal/", data).status_code == 403
    link.refresh_from_db()
    assert link.revoked_at is None and not SupplierContact.objects.filter(email="x@example.cn").exists()
