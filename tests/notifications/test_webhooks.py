"""Webhooks: signed JSON events, retries of 5xx, the delivery log, disabling after failures."""

import datetime as dt

import pytest

from licensing import services as licensing_services
from licensing.models import ApplicationStatus
from notifications import services, tasks
from notifications.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from tests.e2e.servers import WebhookReceiver
from tests.factories import ApplicationFactory, ControlledItemFactory, SupplierFactory

from .conftest import at

pytestmark = pytest.mark.django_db
SECRET = "s3cret-for-tests-0123456789"


def endpoint(url, **kw):
    return services.webhook_endpoint_save(name="ERP", url=url, secret=SECRET, **kw)


def test_events_are_signed_and_a_500_is_retried_until_accepted(subscribers, settings):
    settings.ALERT_RETRY_BASE = 1
    with WebhookReceiver(SECRET, fail=2) as receiver:
        endpoint(receiver.url, events=["application.status_changed"])
        with at(2025, 9, 26):
            licensing_services.application_create(
                supplier=SupplierFactory(), end_user="X", destination_country="DE",
                events=[{"to": "submitted", "on": "2025-09-01"}],
            )
            result = services.run_scan()
        tasks.queue_webhooks(result.webhook_deliveries)  # eager: retries run at once
    assert len(receiver.requests) == 3
    assert all(r["signature_ok"] and r["timestamp"] for r in receiver.requests)
    body = receiver.requests[-1]["body"]
    assert body["type"] == "application.status_changed"
    assert body["data"]["to_status"] == "submitted" and body["data"]["application"]["status"] == "submitted"
    log = WebhookDelivery.objects.get()
    assert (log.status, log.attempts, log.response_code) == (DeliveryStatus.SENT, 3, 200)


def test_alert_and_licence_events_follow_the_endpoint_filter(subscribers):
    with WebhookReceiver(SECRET) as receiver:
        ApplicationFactory(status=ApplicationStatus.ACCEPTED, accepted_on=dt.date(2025, 8, 1),
                           decision_due=dt.date(2025, 12, 4))
        with at(2025, 12, 8):
            endpoint(receiver.url, events=["alert.created", "licence.created"])
            licensing_services.licence_create(
                number="LIC-1", supplier=SupplierFactory(), valid_from="2025-12-01", valid_until="2026-11-30",
                lines=[{"item": ControlledItemFactory(), "approved_quantity": "100"}],
            )
            result = services.run_scan()
            again = services.run_scan()
        tasks.queue_webhooks(result.webhook_deliveries)
    types = sorted(r["event"] for r in receiver.requests)
    assert types == ["alert.created", "licence.created"]
    assert again.webhook_deliveries == []


def test_an_endpoint_is_disabled_after_repeated_permanent_failures(subscribers, settings):
    settings.WEBHOOK_DISABLE_AFTER = 2
    with WebhookReceiver(SECRET, fail=99, status=410) as receiver:
        hook = endpoint(receiver.url)
        for n in range(3):
            ApplicationFactory(status=ApplicationStatus.ACCEPTED, accepted_on=dt.date(2025, 8, 1),
                               decision_due=dt.date(2025, 12, 4 + n))
        with at(2025, 12, 10):
            result = services.run_scan()
        tasks.queue_webhooks(result.webhook_deliveries)
    hook.refresh_from_db()
    assert not hook.active and "2 failed deliveries" in hook.disabled_reason
    assert len(receiver.requests) == 2  # the third was not attempted once disabled
    assert WebhookDelivery.objects.filter(status=DeliveryStatus.FAILED).count() == 2


def test_reactivating_an_endpoint_resets_its_failures(admin_user):
    hook = WebhookEndpoint.objects.create(name="x", url="http://127.0.0.1:9/", active=False, consecutive_failures=5)
    services.webhook_endpoint_save(endpoint=hook, active=True)
    hook.refresh_from_db()
    assert hook.active and hook.consecutive_failures == 0


def test_unknown_event_types_are_refused(admin_user):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        endpoint("http://127.0.0.1:9/", events=["everything"])
    assert "events" in exc.value.message_dict
