"""The hand-written application representation equals what DRF's field machinery builds."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from rest_framework import serializers

from licensing.api.serializers import ApplicationSerializer
from licensing.models import LicenceApplication
from licensing.services import application_create
from tests.factories import ControlledItemFactory, PurchaseOrderFactory, SupplierFactory, UserFactory

pytestmark = pytest.mark.django_db


def _variety():
    supplier, user = SupplierFactory(), UserFactory()
    dy, tb = ControlledItemFactory(code="DY"), ControlledItemFactory(code="TB", elements="Tb")
    lines = [{"item": dy, "quantity": Decimal("500.5"), "unit": "kg", "value": Decimal("1234.5")},
             {"item": tb, "quantity": Decimal("2"), "unit": "t", "value": None, "currency": "EUR"}]
    common = {"supplier": supplier, "end_user": "Motor Works GmbH", "destination_country": "DE"}
    application_create(**common, lines=lines)  # a draft without steps
    application_create(**common, lines=lines, actor=user, purchase_order=PurchaseOrderFactory(supplier=supplier),
                       events=[{"to": "submitted", "on": "2025-09-22", "note": "filed"},
                               {"to": "accepted", "on": "2025-09-26"}])
    application_create(**common, lines=lines[:1], api_client="SAP", external_ref="SAP-1",
                       events=[{"to": "submitted", "on": "2025-08-01"}, {"to": "accepted", "on": "2025-08-04"},
                               {"to": "supplement_requested", "on": "2025-09-01"}])
    application_create(**common, time_limit_exemption="watch_list", lines=lines[1:],
                       events=[{"to": "submitted", "on": "2025-08-01"}, {"to": "accepted", "on": "2025-08-04"}])
    application_create(**common, lines=lines, events=[
        {"to": "submitted", "on": "2025-05-01"}, {"to": "accepted", "on": "2025-05-06"},
        {"to": "approved", "on": "2025-07-10", "licence": {"number": "L-1", "valid_until": "2026-07-09",
                                                            "lines": [{"item": dy, "approved_quantity": "600"}]}}])


def test_the_fast_path_renders_exactly_what_drf_would():
    with time_machine.travel(dt.datetime(2025, 12, 1, 4, tzinfo=dt.UTC), tick=False):
        _variety()
        rows = list(LicenceApplication.objects.prefetch_related("lines__item", "events__recorded_by"))
        serializer = ApplicationSerializer(rows, many=True)
        fast = serializer.data
        slow = [serializers.ModelSerializer.to_representation(serializer.child, row) for row in rows]
    assert len(fast) == 5
    assert [dict(row) for row in fast] == [dict(row) for row in slow]
    assert {row["status"] for row in fast} == {"draft", "accepted", "supplement_requested", "approved"}
