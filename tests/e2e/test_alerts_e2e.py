"""The guarantees of docs/architecture.md#delivery-guarantees with real parts: a Celery worker process on Redis, an SMTP
server (aiosmtpd) and an HTTP receiver, all on 127.0.0.1 (docs/alerts.md explains them)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
import uuid
from collections import Counter

import pytest
import time_machine

from core.roles import Role
from licensing import clock
from licensing import services as licensing_services
from notifications import services, tasks
from notifications.models import Alert, Delivery, DeliveryStatus, Kind, WebhookDelivery
from shipments.models import ShipmentStatus
from tests.factories import ApplicationFactory, LicenceFactory, ShipmentFactory, SupplierFactory, UserFactory

from .conftest import BASE_DIR, wait_for, worker_env
from .servers import SMTPServer, WebhookReceiver

pytestmark = [pytest.mark.e2e, pytest.mark.redis, pytest.mark.postgres,
              pytest.mark.django_db(transaction=True)]


def subscribers():
    return [UserFactory(username="ana", role=Role.PROCUREMENT), UserFactory(username="ben", role=Role.COMPLIANCE)]


def sent_count() -> int:
    return Delivery.objects.filter(status=DeliveryStatus.SENT).count()


def test_an_overdue_application_emails_each_subscriber_once_however_often_and_wherever_scanned(
    start_worker, settings
):
    """Scanned here twice and by two processes at once: one alert, one email per subscriber."""
    settings.ALERT_WAKE_ON_SIGNAL = False  # only the scans below may create alerts here
    subscribers()
    today = clock.today()
    # Relative to today, so the separate scan processes (no time-machine there) see it overdue.
    app = licensing_services.application_create(
        supplier=SupplierFactory(), end_user="Motor Works GmbH", destination_country="DE",
        events=[{"to": "submitted", "on": today - dt.timedelta(days=130)},
                {"to": "accepted", "on": today - dt.timedelta(days=120)}],
    )
    with SMTPServer() as smtp:
        env = worker_env(services_broker(), smtp.url)
        start_worker(smtp.url)
        scans = [subprocess.Popen([sys.executable, "manage.py", "scan_alerts"], cwd=BASE_DIR, env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
        outputs = [p.communicate(timeout=120) for p in scans]
        assert all(p.returncode == 0 for p in scans), outputs
        created = sorted(int(out.split()[0]) for out, _ in outputs)
        tasks.queue_result(services.run_scan())
        tasks.queue_result(services.run_scan())
        wait_for(lambda: len(smtp.handler.messages) >= 2, 60, "two emails")
        time.sleep(2)  # anything extra would arrive now
        messages = list(smtp.handler.messages)
    overdue = [m for m in messages if m["X-Alert-Kind"] == Kind.DECISION_OVERDUE]
    assert sorted(m["To"] for m in overdue) == ["ana@example.com", "ben@example.com"]
    assert len(messages) == 2  # status_changed is off by default: nothing else was sent
    assert f"/applications/{app.pk}/" in overdue[0].get_payload()[0].get_payload(decode=True).decode()
    assert Alert.objects.filter(kind=Kind.DECISION_OVERDUE).count() == 1
    # Between them the two processes created the overdue alert once; the two steps were recorded
    # dated before the application was entered (back-loaded), so they alert nobody.
    assert sum(created) == 1


def services_broker() -> str:
    from config.celery import app

    return app.conf.broker_url


def late_shipment_deliveries(n: int, users, mode: str = "immediate") -> list[int]:
    """n "shipment late" alerts, each delivered to every user in ``mode``: the delivery ids."""
    batch = uuid.uuid4()
    today = clock.today()
    Alert.objects.bulk_create([
        Alert(kind=Kind.SHIPMENT_LATE, subject_type="shipment", subject_id=i, threshold=f"eta@{today}",
              alerted_on=today, batch=batch, message=f"Shipment {i} is late.", url=f"/shipments/{i}/")
        for i in range(n)
    ])
    deliveries = Delivery.objects.bulk_create([
        Delivery(alert=a, user=u, mode=mode) for a in Alert.objects.filter(batch=batch) for u in users
    ])
    return sorted(d.pk for d in deliveries)


def test_a_scan_queued_behind_a_backlog_of_deliveries_runs_while_the_backlog_waits(start_worker, record_property,
                                                                                  settings):
    """1,000 emails to a slow server (about 10 s of sending), then a scan queued: it runs on the
    scans queue within about a task's time, while most of the backlog still waits, and creates
    its alert. On one queue it would wait for the whole backlog."""
    settings.ALERT_WAKE_ON_SIGNAL = False
    subscribers()
    today = clock.today()
    licensing_services.application_create(
        supplier=SupplierFactory(), end_user="Motor Works GmbH", destination_country="DE",
        events=[{"to": "submitted", "on": today - dt.timedelta(days=130)},
                {"to": "accepted", "on": today - dt.timedelta(days=120)}],
    )
    viewer = UserFactory(username="vic", role=Role.VIEWER)
    ids = late_shipment_deliveries(1000, [viewer])
    with SMTPServer(delay=0.01) as smtp:
        start_worker(smtp.url, default_recovery=True)
        tasks.queue_emails(ids)
        wait_for(lambda: len(smtp.handler.messages) >= 20, 60, "the backlog to be under way")
        queued = time.monotonic()
        tasks.scan.delay()
        wait_for(lambda: Alert.objects.filter(kind=Kind.DECISION_OVERDUE).exists(), 60, "the scan's alert",
                 interval=0.05)
        waited = time.monotonic() - queued
        left = len(ids) - sent_count()
    record_property("scan_wait_seconds", round(waited, 2))
    record_property("backlog_left", left)
    print(f"\nthe scan's alert {waited:.2f} s after it was queued, {left} of 1000 emails still to send")
    assert left > 500


def test_a_worker_killed_mid_batch_sends_every_delivery_once(start_worker, record_property, settings):
    """SIGKILL in the middle of a batch of 200, with the default recovery settings (claim timeout
    60 s, the beat's sweeper every 30 s); restarted, every delivery is sent within two minutes,
    none twice.

    The server is slow while it holds a recipient, before the message is handed over, and the
    kill comes while it holds one, after 40 were accepted: where a sender spends its time. Each
    message is marked sent as soon as it is accepted, so the other process, whose last answer
    came before the server began holding this recipient 30 ms ago, has recorded it. The window
    this cannot close (a kill between the server's reply and that UPDATE, well under a
    millisecond) is stated in docs/alerts.md; a repeat from it has the same Message-ID."""
    settings.ALERT_CLAIM_TIMEOUT = 60  # the default, here as in the workers
    user = UserFactory(username="ana", role=Role.VIEWER)
    ids = late_shipment_deliveries(200, [user])
    workers: list = []
    killed: list[tuple[float, int]] = []

    def kill_once(accepted: int) -> None:
        if accepted >= 40 and not killed:
            workers[0].kill()
            killed.append((time.monotonic(), accepted))

    with SMTPServer(rcpt_delay=0.03, on_rcpt=kill_once) as smtp:  # ~6 s for the batch
        workers.append(start_worker(smtp.url, default_recovery=True))
        tasks.queue_emails(ids)
        wait_for(lambda: killed, 60, "the batch to be under way and the worker killed")
        at, at_kill = killed[0]
        start_worker(smtp.url, default_recovery=True)
        wait_for(lambda: sent_count() == 200, 120, "all 200 deliveries sent after the restart", interval=0.5)
        took = time.monotonic() - at
        time.sleep(1)  # a repeat would arrive now
        received = Counter(smtp.handler.delivery_ids())
        by_message_id = Counter(smtp.handler.message_ids())
    twice = sum(n - 1 for n in received.values() if n > 1)
    record_property("sent_twice", twice)
    record_property("recovery_seconds", round(took, 1))
    print(f"\nkilled after {at_kill} of 200 emails; all sent {took:.1f} s after the kill; sent twice: {twice}")
    assert at_kill < 200
    assert set(received) == {str(pk) for pk in ids}
    assert twice == 0 and len(by_message_id) == sum(by_message_id.values()) == 200
    assert took < 120


def test_a_worker_killed_mid_digest_run_leaves_every_digest_sent_once(start_worker, record_property, settings):
    """SIGKILL while the digest run sends 30 users' digests, default recovery settings: every
    digest arrives within two minutes of the kill, none twice (by Message-ID). The server is
    slow before it takes a message (RCPT), so the kill falls before acceptance: the dead
    claims' rows are sent by the sweeper once the claims are stale."""
    settings.ALERT_CLAIM_TIMEOUT = 60
    users = [UserFactory(username=f"d{n}", role=Role.VIEWER) for n in range(30)]
    for user in users:
        services.preference_update(user=user, kinds={Kind.SHIPMENT_LATE: "digest"}, time_zone="UTC", digest_hour=0)
    late_shipment_deliveries(3, users, mode="digest")
    with SMTPServer(rcpt_delay=0.3) as smtp:  # ~9 s for the 30 digests
        worker = start_worker(smtp.url, default_recovery=True)
        tasks.send_digests.delay()
        wait_for(lambda: len(smtp.handler.messages) >= 5, 60, "the digests to be under way")
        worker.kill()
        killed = time.monotonic()
        at_kill = len(smtp.handler.messages)
        start_worker(smtp.url, default_recovery=True)
        wait_for(lambda: sent_count() == 90, 120, "every digest row sent after the restart", interval=0.5)
        took = time.monotonic() - killed
        time.sleep(2)  # a repeat would arrive now
        messages = list(smtp.handler.messages)
    record_property("recovery_seconds", round(took, 1))
    print(f"\nkilled after {at_kill} of 30 digests; all sent {took:.1f} s after the kill")
    assert at_kill < 30
    assert sorted(m["To"] for m in messages) == sorted(u.email for u in users)
    assert len({m["Message-ID"] for m in messages}) == len(messages) == 30
    assert all(m["Subject"] == "Daily digest: 3 alerts" for m in messages)
    assert took < 120


def test_after_three_days_down_the_next_scan_alerts_each_due_item_once(start_worker):
    # These kinds are warnings (daily digest by default): both users ask for them at once here.
    for user in subscribers():
        services.preference_update(user=user, kinds={
            Kind.DECISION_DUE_SOON: "immediate", Kind.LICENCE_EXPIRING: "immediate", Kind.SHIPMENT_LATE: "immediate",
        })
    due = dt.date(2025, 12, 12)  # a Friday
    app = ApplicationFactory(status="accepted", accepted_on=dt.date(2025, 10, 9), decision_due=due)
    licence = LicenceFactory(valid_until=dt.date(2026, 1, 5))
    shipment = ShipmentFactory(status=ShipmentStatus.IN_TRANSIT, planned_ship_date=dt.date(2025, 11, 1),
                               eta=dt.date(2025, 12, 3))
    noon = dt.time(4, tzinfo=dt.UTC)
    with SMTPServer() as smtp:
        start_worker(smtp.url)
        with time_machine.travel(dt.datetime.combine(dt.date(2025, 11, 26), noon), tick=False):
            before = services.run_scan()  # 12 working days before the decision: nothing due
        # Down from 27 to 29 November and on; the next scan runs on Monday 8 December.
        with time_machine.travel(dt.datetime.combine(dt.date(2025, 12, 8), noon), tick=False):
            after = services.run_scan()
            again = services.run_scan()
        tasks.queue_result(after)
        wait_for(lambda: len(smtp.handler.messages) >= 6, 60, "six emails")
        time.sleep(2)
        kinds = Counter(m["X-Alert-Kind"] for m in smtp.handler.messages)
    assert (before.alerts, after.alerts, again.alerts) == (0, 3, 0)
    # One alert per item: the 5-working-day threshold (10 was missed too), the 30-day expiry,
    # the late shipment; each to both subscribers.
    assert kinds == {Kind.DECISION_DUE_SOON: 2, Kind.LICENCE_EXPIRING: 2, Kind.SHIPMENT_LATE: 2}
    assert Alert.objects.get(kind=Kind.DECISION_DUE_SOON, subject_id=app.pk).lead == 5
    assert Alert.objects.get(kind=Kind.LICENCE_EXPIRING, subject_id=licence.pk).lead == 30
    assert Alert.objects.filter(kind=Kind.SHIPMENT_LATE, subject_id=shipment.pk).count() == 1


def test_an_smtp_server_refusing_mail_temporarily_gets_it_later(start_worker):
    subscribers()
    ApplicationFactory(status="accepted", accepted_on=dt.date(2025, 8, 1), decision_due=dt.date(2025, 12, 4))
    with SMTPServer(refuse=3) as smtp:  # 451 to the first three attempts
        start_worker(smtp.url)
        with time_machine.travel(dt.datetime(2025, 12, 8, 4, tzinfo=dt.UTC), tick=False):
            result = services.run_scan()
        tasks.queue_result(result)
        # Three retries with backoff: on a busy CI machine that takes more than a minute.
        wait_for(lambda: sent_count() == 2, 150, "both deliveries sent after the refusals")
        time.sleep(1)
        assert smtp.handler.refused == 3
        assert sorted(m["To"] for m in smtp.handler.messages) == ["ana@example.com", "ben@example.com"]
    attempts = sorted(Delivery.objects.values_list("attempts", flat=True))
    assert sum(attempts) == 5  # 3 refused + 2 accepted
    assert all(d.status == DeliveryStatus.SENT for d in Delivery.objects.all())


def test_a_webhook_receiver_answering_500_is_retried_until_it_accepts(start_worker):
    subscribers()
    secret = "e2e-secret-0123456789abcdef"
    with WebhookReceiver(secret, fail=2) as receiver, SMTPServer() as smtp:
        services.webhook_endpoint_save(name="ERP", url=receiver.url, secret=secret,
                                       events=["application.status_changed"])
        start_worker(smtp.url)
        licensing_services.application_create(supplier=SupplierFactory(), end_user="X", destination_country="DE",
                                              events=[{"to": "submitted", "on": clock.today()}])
        tasks.queue_result(services.run_scan(maintenance=False))
        wait_for(lambda: WebhookDelivery.objects.filter(status=DeliveryStatus.SENT).exists(), 60,
                 "the webhook to be accepted")
    assert [r["signature_ok"] for r in receiver.requests] == [True, True, True]
    assert receiver.requests[-1]["body"]["data"]["to_status"] == "submitted"
    log = WebhookDelivery.objects.get()
    assert (log.attempts, log.response_code) == (3, 200)
