"""load_demo_data prints a working supplier-portal link, the same on every run."""

from __future__ import annotations

import pytest

from demo.portal import demo_portal_link
from portal.models import PortalLink
from tests.factories import SupplierFactory

pytestmark = pytest.mark.django_db


def test_the_demo_link_opens_the_demo_suppliers_portal_and_is_stable(client, settings):
    assert demo_portal_link() is None  # no demo data, no link
    SupplierFactory(name="Baotou Demo", external_ref="DEMO-SUP-1", contact_name="Wang Fang")
    url = demo_portal_link()
    assert url == demo_portal_link() and PortalLink.objects.count() == 1
    assert url.startswith(settings.SITE_URL + "/s/") and len(url.rsplit("/", 2)[-2]) >= 43
    page = client.get(url.removeprefix(settings.SITE_URL))
    assert page.status_code == 200 and "Wang Fang" in page.content.decode()
