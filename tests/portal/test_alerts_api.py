"""Portal reports reach the owner (an alert), the REST API (``source: supplier``) and webhooks;
quiet applications bring the contact a reminder, at most weekly."""

from __future__ import annotations

import datetime as dt
import json
import socket

import pytest
import time_machine
from django.core import mail

from notifications.models import Alert, Delivery, WebhookDelivery, WebhookEndpoint
from notifications.services import run_scan
from portal.models import PortalReminder
from portal.services import reminders_send
from suppliers.services import supplier_contact_save

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


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_reminder_carries_a_new_working_link_in_both_languages(portal_scene, client, language):
    ours, _ = portal_scene
    supplier_contact_save(contact=ours.contact, language=language)
    mail.outbox.clear()
    with time_machine.travel(dt.datetime(2026, 3, 16, 9, tzinfo=dt.UTC), tick=False):
        reminders_send(today=dt.date(2026, 3, 16))
        body = next(m for m in mail.outbox if m.to == [ours.contact.email]).body
        path = "/s/" + body.split("/s/", 1)[1].split()[0]
        assert body.count(path) == 2  # once in each language
        assert client.get(path).status_code == 200  # the new link opens the portal
        assert client.get(ours.home).status_code == 404  # the invitation's link no longer does
    zh, en = body.index("这是您的新个人链接，有效期至 2026年6月14日。"), body.index(
        "This is your new personal link, valid until June 14, 2026.")
    assert (zh < en) if language == "zh-hans" else (en < zh)
    assert "请在以下页面报告最新进展：" in body and "Please report any step on this page:" in body


def test_a_reminder_the_mail_server_refuses_leaves_the_old_link_working(portal_scene, client, settings):
    ours, _ = portal_scene
    with socket.socket() as s:  # a port nothing listens on: the connection is refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    with time_machine.travel(dt.datetime(2026, 3, 16, 9, tzinfo=dt.UTC), tick=False):
        with pytest.raises(OSError):
            reminders_send(today=dt.date(2026, 3, 16))
        assert client.get(ours.home).status_code == 200
    assert not PortalReminder.objects.exists()
