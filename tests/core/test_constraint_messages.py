"""A broken check constraint reads in plain words beside its field, never as its name."""

import datetime as dt
from decimal import Decimal

import pytest

from core.errors import DomainError
from core.services import lines_create, save_validated
from licensing.models import Licence
from shipments.models import Shipment, ShipmentLine
from tests.factories import ControlledItemFactory, ShipmentFactory, SupplierFactory

pytestmark = pytest.mark.django_db
D = dt.date


def test_a_shipment_eta_before_its_etd_is_an_eta_error_in_words():
    ship = Shipment(supplier=SupplierFactory(), reference="BL-1", planned_ship_date=D(2026, 1, 10), eta=D(2026, 1, 1))
    with pytest.raises(DomainError) as exc:
        save_validated(ship)
    assert exc.value.message_dict == {"eta": ["The ETA cannot be before the planned ship date (ETD)."]}
    assert "Constraint" not in str(exc.value) and "shipment_eta_after_etd" not in str(exc.value)


def test_a_licence_ending_before_it_starts_is_a_valid_until_error_in_words():
    licence = Licence(number="L-1", supplier=SupplierFactory(), valid_from=D(2026, 2, 1), valid_until=D(2026, 1, 1))
    with pytest.raises(DomainError) as exc:
        save_validated(licence)
    assert exc.value.message_dict["valid_until"] == ["The licence cannot end before it starts."]
    assert "__all__" not in exc.value.message_dict


def test_a_line_breaking_a_constraint_names_its_line_and_field():
    with pytest.raises(DomainError) as exc:
        lines_create(ShipmentLine, "shipment", ShipmentFactory(), [
            {"item": ControlledItemFactory(), "quantity": Decimal("-1"), "unit": "kg"},
        ])
    assert "Give a quantity above zero." in exc.value.message_dict["lines[0].quantity"]
    assert not any("Constraint" in m for ms in exc.value.message_dict.values() for m in ms)
