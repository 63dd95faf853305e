"""A scene for the supplier portal: two suppliers, each with a contact and a live link, an
application of each submitted to MOFCOM, a shipment of each held by customs (on the purchase
order of the application, so the application's owner answers for it), and the document kinds
loaded."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

import pytest
import time_machine
from django.core.management import call_command
from PIL import Image

from licensing import services as licensing
from portal import services as portal
from shipments.services import shipment_save
from suppliers.services import supplier_contact_save
from tests.factories import ApplicationLineFactory, ControlledItemFactory, PurchaseOrderFactory, SupplierFactory

TODAY = dt.date(2026, 3, 2)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(out, "PNG")
    return out.getvalue()


@dataclass
class Side:
    supplier: object
    contact: object
    token: str
    app: object
    po: object
    hold: object

    @property
    def home(self) -> str:
        return f"/s/{self.token}/"

    def app_url(self, app=None) -> str:
        return f"/s/{self.token}/a/{(app or self.app).pk}/"

    @property
    def hold_url(self) -> str:
        return f"/s/{self.token}/h/{self.hold.pk}/"


@pytest.fixture
def frozen():
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False):
        yield TODAY


def _side(name: str, language: str, owner) -> Side:
    supplier = SupplierFactory(name=name)
    contact = supplier_contact_save(
        supplier=supplier, name=f"Contact of {name}", email=f"{name[:4].lower()}@example.cn", language=language
    )
    issued = portal.link_issue(contact=contact)
    po = PurchaseOrderFactory(supplier=supplier)
    app = licensing.application_create(supplier=supplier, purchase_order=po, end_user="Motor Works GmbH",
                                       destination_country="DE", owner=owner)
    line = ApplicationLineFactory(application=app, item=ControlledItemFactory(code="DY2O3"), quantity=500)
    licensing.application_transition(application=app, to="submitted", on=TODAY - dt.timedelta(days=7))
    hold = shipment_save(supplier=supplier, purchase_order=po, reference=f"BL-{name[:4].upper()}-1", status="held",
                         held_on=TODAY - dt.timedelta(days=1), customs_question=f"Certificate of origin for {name}?",
                         lines=[{"item": line.item, "quantity": 100, "unit": "kg"}])
    return Side(supplier, contact, issued.token, app, po, hold)


@pytest.fixture
def portal_scene(db, frozen, procurement, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "portal-tests"}}
    from django.core.cache import cache

    cache.clear()
    call_command("seed_reference_data", stdout=io.StringIO())
    ours = _side("Baotou Magnet", "zh-hans", procurement)
    theirs = _side("Ningbo Rare Earth", "en", procurement)
    return ours, theirs
