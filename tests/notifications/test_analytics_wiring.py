"""A decision wakes the analytics refresh (predictions, purchase orders at risk) soon after
commit, through the real signal and a real (eager) Celery task."""

import datetime as dt

import pytest
import time_machine
from django.core.cache import cache

from config.celery import app as celery_app
from licensing.services import application_create, application_transition
from shipments.tasks import ANALYTICS_WAKE_KEY
from tests.analytics.conftest import make_decided
from tests.factories import ControlledItemFactory, PurchaseOrderFactory, SupplierFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 12, 1, 4, tzinfo=dt.UTC)


@pytest.fixture
def eager(settings):
    settings.PREDICTION_MIN_SAMPLE = 3
    cache.delete(ANALYTICS_WAKE_KEY)
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False
    cache.delete(ANALYTICS_WAKE_KEY)


def _accepted(supplier, item, on):
    return application_create(
        supplier=supplier, end_user="Motor Works GmbH", destination_country="DE",
        lines=[{"item": item, "quantity": "100", "unit": "kg"}],
        events=[{"to": "submitted", "on": on - dt.timedelta(days=3)}, {"to": "accepted", "on": on}],
    )


def test_a_decision_refreshes_predictions_of_open_applications(eager, django_capture_on_commit_callbacks):
    supplier, item = SupplierFactory(), ControlledItemFactory(code="DY-OX", elements="Dy")
    for i in range(3):
        make_decided(supplier=supplier, items=[item], accepted_on=dt.date(2025, 6, 2 + i), working_days=50)
    with time_machine.travel(NOW, tick=False):
        waiting = _accepted(supplier, item, dt.date(2025, 11, 3))
        deciding = _accepted(supplier, item, dt.date(2025, 9, 1))
        assert waiting.predicted_decision_p50 is None
        with django_capture_on_commit_callbacks(execute=True):
            application_transition(application=deciding, to="approved", on=dt.date(2025, 11, 28))
    waiting.refresh_from_db()
    assert waiting.predicted_decision_p50 is not None
    assert waiting.prediction_sample_size == 4  # the three made by hand and the one just decided


def test_a_step_that_is_no_decision_does_not_refresh(eager, django_capture_on_commit_callbacks):
    supplier, item = SupplierFactory(), ControlledItemFactory(code="DY-OX", elements="Dy")
    for i in range(3):
        make_decided(supplier=supplier, items=[item], accepted_on=dt.date(2025, 6, 2 + i), working_days=50)
    po = PurchaseOrderFactory(supplier=supplier, needed_by=dt.date(2025, 12, 5))
    with time_machine.travel(NOW, tick=False):
        application = application_create(
            supplier=supplier, purchase_order=po, end_user="Motor Works GmbH", destination_country="DE",
            lines=[{"item": item, "quantity": "100", "unit": "kg"}],
        )
        with django_capture_on_commit_callbacks(execute=True):
            application_transition(application=application, to="submitted", on=dt.date(2025, 11, 28))
    application.refresh_from_db()
    po.refresh_from_db()
    assert application.predicted_decision_p50 is None
    assert po.at_risk is False
