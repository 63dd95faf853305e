"""Constructed histories for the analytics tests: decided applications whose delays are set
by hand, so every median and quantile can be worked out on paper."""

import datetime as dt

import pytest

from licensing.models import ApplicationStatus
from tests.factories import ApplicationFactory, ApplicationLineFactory, ControlledItemFactory, SupplierFactory

S = ApplicationStatus


def make_decided(
    *,
    supplier,
    items=(),
    accepted_on: dt.date,
    working_days: int | None,
    calendar_days: int | None = None,
    status: str = S.APPROVED,
    kind: str = "single",
    **extra,
):
    """A decided application built for reads (the status is set directly: these tests read)."""
    decided_on = accepted_on + dt.timedelta(days=calendar_days if calendar_days is not None else working_days * 7 // 5)
    app = ApplicationFactory(
        supplier=supplier,
        status=status,
        kind=kind,
        submitted_on=accepted_on - dt.timedelta(days=3),
        accepted_on=accepted_on,
        decided_on=decided_on,
        closed_on=decided_on,
        decision_working_days=working_days,
        **extra,
    )
    for item in items:
        ApplicationLineFactory(application=app, item=item)
    return app


@pytest.fixture
def items(db):
    return {
        "dy": ControlledItemFactory(code="DY-OX", elements="Dy"),
        "tb": ControlledItemFactory(code="TB-OX", elements="Tb"),
        "magnet": ControlledItemFactory(code="NDFEB", elements="Nd Pr Dy", form="magnet"),
        "y": ControlledItemFactory(code="Y-OX", elements="Y"),
        "yb": ControlledItemFactory(code="YB-OX", elements="Yb"),
    }


@pytest.fixture
def suppliers(db):
    return {"a": SupplierFactory(name="Alpha Rare Earth"), "b": SupplierFactory(name="Beta Magnetics")}
