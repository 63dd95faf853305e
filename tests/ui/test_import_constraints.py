"""A database rule broken by an imported row is a row error in plain words naming its column:
never a constraint's name, never a server error, and nothing is imported."""

from __future__ import annotations

import re

import pytest

from core.errors import CONSTRAINT_MESSAGES
from core.models import EXTERNAL_REF_TAKEN
from shipments.models import Shipment
from shipments.services import SHIPMENT_ETA_MESSAGE
from suppliers.models import PurchaseOrder

from .test_exports_imports import post_file

pytestmark = pytest.mark.django_db

SHIPMENT_HEADER = "reference,supplier,item,quantity,unit,licence,status,planned_ship_date,eta,external_ref\n"
ORDER_HEADER = "number,supplier,order_date,item,quantity,unit,external_ref\n"


def _errors_table(response) -> list[tuple[str, str, str]]:
    """The rows of the page's error table, as (row, column, message) text."""
    html = response.content.decode()
    table = re.search(r'<table[^>]*id="import-errors".*?</table>', html, re.S)
    assert table, "the page shows no error table"
    cells = re.findall(r"<tr><td[^>]*>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", table[0], re.S)
    return [tuple(c.replace("&#x27;", "'") for c in cell) for cell in cells]


def _assert_no_constraint_named(response) -> None:
    html = response.content.decode()
    assert "Constraint" not in html and "constraint" not in html.lower()
    assert [name for name in CONSTRAINT_MESSAGES if name in html] == []


def test_a_shipment_row_arriving_before_it_ships_is_an_eta_error_in_words(scene, procurement, client):
    client.force_login(procurement)
    body = SHIPMENT_HEADER + (
        "BL-IMP-ETA,Baotou Rare Earth Magnet Co.,DY2O3,10,kg,LIC-2025-0812,planned,2026-01-10,2026-01-05,\n"
    )
    response = post_file(client, "/shipments/import/", "s.csv", body.encode())
    assert response.status_code == 422
    assert _errors_table(response) == [("2", "eta", SHIPMENT_ETA_MESSAGE)]
    assert SHIPMENT_ETA_MESSAGE == CONSTRAINT_MESSAGES["shipment_eta_after_etd"]
    _assert_no_constraint_named(response)
    assert not Shipment.objects.filter(reference="BL-IMP-ETA").exists()


def test_an_order_row_with_another_orders_erp_key_is_an_external_ref_error_in_words(scene, procurement, client):
    PurchaseOrder.objects.filter(pk=scene.orders["ok"].pk).update(external_ref="SAP-PO-1")
    client.force_login(procurement)
    body = ORDER_HEADER + (
        "PO-2026-0001,Baotou Rare Earth Magnet Co.,2025-11-20,DY2O3,100,kg,\n"
        "PO-2026-0002,Baotou Rare Earth Magnet Co.,2025-11-21,DY2O3,50,kg,SAP-PO-1\n"
    )
    response = post_file(client, "/purchase-orders/import/", "o.csv", body.encode())
    assert response.status_code == 422
    assert _errors_table(response) == [("3", "external_ref", EXTERNAL_REF_TAKEN)]
    _assert_no_constraint_named(response)
    assert not PurchaseOrder.objects.filter(number__startswith="PO-2026-").exists()  # all or nothing
