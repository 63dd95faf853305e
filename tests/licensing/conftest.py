"""Fixtures for the licensing core: a frozen 'today' and applications walked through the
one door (licensing.services.application_transition), never by setting ``status``."""

import datetime as dt

import pytest

from licensing.models import ApplicationStatus as S
from tests.factories import ControlledItemFactory, SupplierFactory

from .helpers import TODAY, at


@pytest.fixture
def frozen_today():
    with at(TODAY):
        yield TODAY


@pytest.fixture
def item(db):
    return ControlledItemFactory(code="DY", name="Dysprosium items", elements="Dy")


@pytest.fixture
def supplier(db):
    return SupplierFactory(name="Ganzhou Rare Earth Mineral Co.")


# The shortest path from draft to each status, with step dates that never go backwards.
PATHS: dict[str, list[str]] = {
    S.DRAFT: [],
    S.DOCUMENTS_PENDING: [S.DOCUMENTS_PENDING],
    S.SUBMITTED: [S.SUBMITTED],
    S.ACCEPTED: [S.SUBMITTED, S.ACCEPTED],
    S.SUPPLEMENT_REQUESTED: [S.SUBMITTED, S.ACCEPTED, S.SUPPLEMENT_REQUESTED],
    S.APPROVED: [S.SUBMITTED, S.ACCEPTED, S.APPROVED],
    S.REJECTED: [S.SUBMITTED, S.REJECTED],
    S.WITHDRAWN: [S.WITHDRAWN],
}


@pytest.fixture
def make_application(db, supplier, item):
    """make_application(status, start=date): an application brought to ``status`` through the
    services, one step a day from ``start``."""
    from licensing import services

    def make(status: str = S.DRAFT, *, start: dt.date = dt.date(2025, 9, 1), actor=None, **fields):
        fields.setdefault("supplier", supplier)
        fields.setdefault("end_user", "Motor Works GmbH")
        fields.setdefault("destination_country", "DE")
        events = [{"to": to, "on": start + dt.timedelta(days=i)} for i, to in enumerate(PATHS[status])]
        return services.application_create(
            lines=[{"item": item, "quantity": "500", "unit": "kg"}], events=events, actor=actor, **fields
        )

    return make
