"""Portal reports reach the owner (an alert), the REST API (``source: supplier``) and webhooks;
quiet applications bring the contact a reminder, at most weekly."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.core import mail

from notifications.models import Alert, Delivery, WebhookDelivery, WebhookEndpoint
from notifications.services import run_scan
from portal.models import PortalReminder
from portal.services import reminders_send

from .conftest import TODAY

pytestmark = pytest.mark.django_db


def test_a_report_alerts_the_applications_owner(portal_scene, client, procurement):
    ours, _ = portal_scene
    client.post(ours.app_url(), {"to": "accepted", "on": TODAY.isoformat()})
    alert = Alert.objects.get(kind="supplier_report")
    assert alert.subject_id == ours.app.pk and alert.severity == "info"
    assert "held for your confirmation" in alert.message and ours.contact.name in alert.message
    assert list(Delivery.objects.filter(alert=alert).values_list("user", flat=True)) == [procurement.pk]


def test_applied_reports_show_as_supplier_steps_over_rest_and_webhooks(portal_scene, client, admin_user):
    ours, _ = portal_scene
    ours.supplier.portal_apply_reports = True
    ours.supplier.save()
    WebhookEndpoint.objects.create(name="erp", url="https://erp.example.com/hook", events=[])
    client.post(ours.app_url(), {"to": "accepted", "on": TODAY.isoformat()})
    run_scan()
    body = json.loads(WebhookDelivery.objects.get(event_type="application.status_changed",
                                                   body__contains='"to_status": "accepted"').body)
    assert body["data"]["source"] == "supplier" and body["data"]["reported_by"] == ours.contact.name
    client.force_login(admin_user)
    events = client.get(f"/api/v1/applications/{ours.app.pk}/").json()["events"]
    assert events[-1]["source"] == "supplier" and events[-1]["reported_by"] == ours.contact.name
    assert events[0]["source"] == "user"


def test_a_quiet_application_brings_a_weekly_reminder(portal_scene):
    ours, theirs = portal_scene
    mail.outbox.clear()
    assert reminders_send(today=TODAY) == 0  # submitted 7 days ago: 5 working days
    with time_machine.travel(dt.datetime(2026, 3, 16, 9, tzinfo=dt.UTC), tick=False):
        assert reminders_send(today=dt.date(2026, 3, 16)) == 2
        assert reminders_send(today=dt.date(2026, 3, 17)) == 0  # at most one a week
    with time_machine.travel(dt.datetime(2026, 3, 23, 9, tzinfo=dt.UTC), tick=False):
        assert reminders_send(today=dt.date(2026, 3, 23)) == 2
    assert PortalReminder.objects.filter(contact=ours.contact).count() == 2
    zh = next(m for m in mail.outbox if m.to == [ours.contact.email])
    assert zh.body.index("以下申请") < zh.body.index("These applications") and ours.app.reference in zh.body
