"""Fixtures for suppliers, shipments and the drawdown of licences (docs/architecture.md#drawdown)."""

import datetime as dt

import pytest

from licensing import services as licensing_services
from tests.factories import ControlledItemFactory, SupplierFactory
from tests.licensing.helpers import TODAY, at


@pytest.fixture
def frozen_today():
    with at(TODAY):
        yield TODAY


@pytest.fixture
def supplier(db):
    return SupplierFactory(name="Baotou Tianhe Magnetics")


@pytest.fixture
def dy(db):
    return ControlledItemFactory(code="DY", name="Dysprosium oxide", elements="Dy")


@pytest.fixture
def tb(db):
    return ControlledItemFactory(code="TB", name="Terbium metal", elements="Tb")


@pytest.fixture
def magnets(db):
    return ControlledItemFactory(code="NDFEB-DY", name="NdFeB magnets with Dy", elements="Dy", form="magnet")


@pytest.fixture
def make_licence(supplier, frozen_today):
    """make_licence("LIC-A", [(item, "1000", "kg")], valid_until=...): through licensing.services."""

    def make(number: str, lines, *, valid_from=dt.date(2025, 6, 1), valid_until=dt.date(2026, 5, 31), **kw):
        kw.setdefault("supplier", supplier)
        return licensing_services.licence_create(
            number=number, valid_from=valid_from, valid_until=valid_until,
            lines=[{"item": item, "approved_quantity": qty, "unit": unit} for item, qty, unit in lines], **kw,
        )

    return make


@pytest.fixture
def licence(make_licence, dy, tb):
    return make_licence("LIC-2025-001", [(dy, "1000", "kg"), (tb, "2", "t")])
