"""The demo's supplier portal link (docs/supplier-portal.md): one contact of the first demo
supplier, with a link whose token is derived from SECRET_KEY, so that every run of
``load_demo_data`` can print the same working link although only its hash is stored."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac

from django.conf import settings
from django.utils import timezone

from portal import services as portal
from portal.models import PortalLink
from suppliers.models import Supplier, SupplierContact
from suppliers.services import supplier_contact_save

DEMO_SUPPLIER_REF = "DEMO-SUP-1"


def demo_token() -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), b"demo supplier portal link", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def demo_portal_link() -> str | None:
    """The demo contact's live link (created, or renewed once expired); None without demo data."""
    supplier = Supplier.objects.filter(external_ref=DEMO_SUPPLIER_REF).first()
    if supplier is None:
        return None
    contact = SupplierContact.objects.filter(supplier=supplier, email="portal-demo@example.cn").first()
    if contact is None:
        contact = supplier_contact_save(supplier=supplier, name=supplier.contact_name or "Demo contact",
                                        email="portal-demo@example.cn", language="zh-hans")
    token = demo_token()
    link = PortalLink.objects.filter(token_hash=portal.token_hash(token)).first()
    if link is None:
        PortalLink.objects.filter(contact=contact, revoked_at__isnull=True).update(revoked_at=timezone.now())
        PortalLink.objects.create(contact=contact, token_hash=portal.token_hash(token),
                                  expires_at=timezone.now() + dt.timedelta(days=settings.PORTAL_LINK_DAYS))
    elif not link.is_live:
        PortalLink.objects.filter(pk=link.pk).update(revoked_at=None)
        portal.link_renew(link=link)
    return portal.link_url(token)
