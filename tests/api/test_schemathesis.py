"""schemathesis against the live schema (/api/schema/), in process through WSGI, with a write
key: no 5xx, and every answer conforms to the schema (status code, content type, body).

Each operation gets ``EXAMPLES`` schema-valid examples and ``EXAMPLES`` schema-breaking ones;
with reference data in place, generated ids, codes and external_refs often hit real rows.
"""

from __future__ import annotations

import datetime as dt
import os
import time

import pytest
import schemathesis
import time_machine
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import (
    ApplicationFactory,
    LicenceLineFactory,
    PolicyEventFactory,
    PurchaseOrderLineFactory,
    ShipmentLineFactory,
)

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "25"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

pytestmark = pytest.mark.django_db


@pytest.fixture
def some_rows(supplier, dy):
    po = PurchaseOrderLineFactory(purchase_order__supplier=supplier, item=dy).purchase_order
    licence = LicenceLineFactory(licence__supplier=supplier, item=dy).licence
    ShipmentLineFactory(shipment__supplier=supplier, shipment__licence=licence, item=dy)
    ApplicationFactory(supplier=supplier, purchase_order=po, external_ref="1")
    PolicyEventFactory()


@pytest.fixture
def keep_connection():
    """The WSGI app closes "old" database connections after each request, which would close the
    test's transaction on PostgreSQL; Django's test client disconnects the same handlers."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_the_api_keeps_its_schema_under_generated_input(erp, some_rows, settings_api_fast, keep_connection):
    with time_machine.travel(dt.datetime(2025, 12, 1, 4, tzinfo=dt.UTC), tick=False):
        schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
        headers = {"Authorization": f"Token {erp.raw_key}"}
        failures: list[str] = []
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) > 30
        if only := os.environ.get("SCHEMATHESIS_OPERATIONS"):  # e.g. "GET /api/v1/applications/" to debug one
            operations = [op for op in operations if op.label == only]
        for operation in operations:
            modes = [GenerationMode.POSITIVE]
            if len(operation.query) or len(operation.body):
                # Only an id in the path cannot be made schema-breaking: nothing to generate.
                modes.append(GenerationMode.NEGATIVE)
            for mode in modes:

                @given(case=operation.as_strategy(generation_mode=mode))
                @settings(
                    max_examples=EXAMPLES,
                    deadline=None,
                    database=None,
                    derandomize=True,
                    phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=list(HealthCheck),
                )
                def run(case):
                    response = case.call(headers=headers)
                    case.validate_response(response, checks=CHECKS)

                started = time.monotonic()
                try:
                    run()
                except Unsatisfiable:
                    pass  # no schema-breaking input exists for this operation (e.g. only an id in the path)
                except KeyboardInterrupt:
                    raise
                except BaseException as exc:  # FailureGroup included: collect every failure, report them all
                    failures.append(f"{operation.label} [{mode.value}]: {str(exc)[:1500]}")
                finally:
                    print(f"{operation.label} [{mode.value}] {time.monotonic() - started:.1f}s")
        assert not failures, "\n\n".join(failures)


@pytest.fixture
def settings_api_fast(settings):
    # The generated calls must not trip the throttle.
    rates = dict(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"])
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {k: "100000/min" for k in rates},
    }
