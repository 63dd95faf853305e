"""Deliveries: one email per subscriber, claim before send, retries, preferences, digests."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from core.roles import Role
from licensing.models import ApplicationStatus
from notifications import services, tasks
from notifications.models import Alert, Delivery, DeliveryStatus, Kind, Mode, Preference
from tests.factories import ApplicationFactory, UserFactory

from .conftest import at

pytestmark = pytest.mark.django_db


def overdue_app():
    return ApplicationFactory(status=ApplicationStatus.ACCEPTED, accepted_on=dt.date(2025, 8, 1),
                              decision_due=dt.date(2025, 12, 4))


def test_it_emails_each_subscriber_once_with_text_html_link_and_unsubscribe_headers(
    subscribers, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://tracker.example.com"
    app = overdue_app()
    with at(2025, 12, 8), django_capture_on_commit_callbacks(execute=True):
        tasks.scan()
    assert sorted(m.to[0] for m in mail.outbox) == ["compliance@example.com", "viewer@example.com"]
    msg = mail.outbox[0]
    assert "Decision overdue" in msg.subject and "MOFCOM's decision" in msg.subject  # plain text, no &#x27;
    assert f"https://tracker.example.com/applications/{app.pk}/" in msg.body
    html = msg.alternatives[0][0]
    assert f'href="https://tracker.example.com/applications/{app.pk}/"' in html
    assert msg.extra_headers["List-Unsubscribe"].startswith("<https://tracker.example.com/notifications/unsubscribe/")
    assert msg.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}

    # Run again, and re-deliver the same task (as the broker does after a worker died): no repeat.
    with at(2025, 12, 8), django_capture_on_commit_callbacks(execute=True):
        tasks.scan()
    tasks.deliver_emails(list(Delivery.objects.values_list("id", flat=True)))
    assert len(mail.outbox) == 2


def test_a_claimed_row_is_not_sent_until_its_claim_is_stale(subscribers, settings):
    overdue_app()
    with at(2025, 12, 8):
        services.run_scan()
    delivery = Delivery.objects.first()
    assert services.delivery_claim(delivery.pk, "a")
    assert not services.delivery_claim(delivery.pk, "b")  # a live sender holds it
    Delivery.objects.filter(pk=delivery.pk).update(
        claimed_at=timezone.now() - dt.timedelta(seconds=settings.ALERT_CLAIM_TIMEOUT + 1)
    )
    assert services.delivery_claim(delivery.pk, "c")  # its sender must have died
    services.delivery_finish(Delivery.objects.get(pk=delivery.pk), "c", ok=True)
    assert not services.delivery_claim(delivery.pk, "d")  # sent: never again


def test_a_temporary_smtp_refusal_is_retried_with_backoff_then_sent(subscribers, flaky_mail):
    overdue_app()
    with at(2025, 12, 8):
        services.run_scan()
    delivery = Delivery.objects.order_by("id").first()
    flaky_mail.failures = 2
    tasks.deliver_emails([delivery.pk])  # eager: each retry runs at once
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 3)
    assert len(flaky_mail.sent) == 1
    assert services.backoff_seconds(1) == 1 and services.backoff_seconds(3) == 4


def test_a_permanent_refusal_fails_without_retry(subscribers, flaky_mail):
    overdue_app()
    with at(2025, 12, 8):
        services.run_scan()
    delivery = Delivery.objects.order_by("id").first()
    flaky_mail.failures, flaky_mail.code = 1, 550
    tasks.deliver_emails([delivery.pk])
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 1)
    assert "550" in delivery.last_error


def test_retries_stop_after_the_maximum(subscribers, flaky_mail, settings):
    settings.ALERT_MAX_RETRIES = 2
    overdue_app()
    with at(2025, 12, 8):
        services.run_scan()
    delivery = Delivery.objects.order_by("id").first()
    flaky_mail.failures = 10
    tasks.deliver_emails([delivery.pk])
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 3)


def test_every_attempt_at_a_delivery_carries_the_same_message_id(subscribers, flaky_mail, settings):
    settings.DEFAULT_FROM_EMAIL = "Rare-earth tracker <alerts@tracker.example.com>"
    overdue_app()
    with at(2025, 12, 8):
        services.run_scan()
    first, second = Delivery.objects.order_by("id")
    tasks.deliver_emails([first.pk, second.pk])
    # Its worker died after the server accepted the first and before the row was marked sent.
    Delivery.objects.filter(pk=first.pk).update(status=DeliveryStatus.SENDING, claim="dead",
                                                claimed_at=timezone.now() - dt.timedelta(hours=1))
    tasks.deliver_emails([first.pk])
    assert [m.message()["Message-ID"] for m in flaky_mail.sent] == [
        f"<alert-delivery.{first.pk}@tracker.example.com>", f"<alert-delivery.{second.pk}@tracker.example.com>",
        f"<alert-delivery.{first.pk}@tracker.example.com>",
    ]


def test_with_the_default_settings_a_dead_workers_rows_are_sent_again_within_two_minutes(subscribers):
    """No setting overridden: rows a worker claimed and died on are claimable after the claim
    timeout, and the sweeper, on the beat every ALERT_SWEEP_SECONDS, queues them again."""
    from django.conf import settings

    schedule = settings.CELERY_BEAT_SCHEDULE["notifications-sweep"]
    assert schedule["task"] == tasks.sweep.name
    assert settings.ALERT_CLAIM_TIMEOUT + schedule["schedule"] <= 90  # + the sending: under 2 minutes
    overdue_app()
    killed = dt.datetime(2025, 12, 8, 4, tzinfo=dt.UTC)
    with time_machine.travel(killed, tick=False):
        services.run_scan()
        ids = list(Delivery.objects.values_list("id", flat=True))
        for pk in ids:
            assert services.delivery_claim(pk, "killed")
    for seconds in range(0, 91, schedule["schedule"]):  # the beat's sweeps after the kill
        with time_machine.travel(killed + dt.timedelta(seconds=seconds), tick=False):
            tasks.sweep()
        if mail.outbox:
            break
    assert seconds <= 90 and len(mail.outbox) == 2
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}


def test_the_sweeper_requeues_lost_and_stuck_deliveries_only(subscribers, settings):
    overdue_app()
    with at(2025, 12, 8):
        services.run_scan()
    rows = list(Delivery.objects.order_by("id"))
    old = timezone.now() - dt.timedelta(hours=2)
    Delivery.objects.filter(pk=rows[0].pk).update(created_at=old)  # its task was lost
    Delivery.objects.filter(pk=rows[1].pk).update(  # its worker died while sending
        created_at=old, status=DeliveryStatus.SENDING, claimed_at=old
    )
    emails, hooks = services.stuck_deliveries()
    assert sorted(emails) == sorted(r.pk for r in rows) and hooks == []
    Delivery.objects.filter(pk=rows[0].pk).update(next_attempt_at=timezone.now() + dt.timedelta(minutes=5))
    emails, _ = services.stuck_deliveries()
    assert emails == [rows[1].pk]  # a row waiting for its backoff is left alone


# --- Preferences ---------------------------------------------------------------------------------


def test_status_changed_needs_an_explicit_subscription(viewer, compliance, procurement):
    from .conftest import live_application

    services.preference_update(user=compliance, kinds={"status_changed": "immediate"})
    live_application([("submitted", "2025-09-01")])
    with at(2025, 9, 26):
        services.run_scan()
    alert = Alert.objects.get(kind=Kind.STATUS_CHANGED)
    assert list(alert.deliveries.values_list("user__username", flat=True)) == ["compliance"]


def test_a_kind_turned_off_or_a_user_without_role_gets_nothing(viewer, compliance, outsider):
    services.preference_update(user=viewer, kinds={"decision_overdue": "off"})
    overdue_app()
    with at(2025, 12, 8):
        services.run_scan()
    assert list(Delivery.objects.values_list("user__username", flat=True)) == ["compliance"]


def test_own_lead_times_override_the_settings(viewer, compliance):
    services.preference_update(user=viewer, lead_times={"decision_due_soon": [3]})
    ApplicationFactory(status=ApplicationStatus.ACCEPTED, accepted_on=dt.date(2025, 8, 1),
                       decision_due=dt.date(2025, 12, 12))
    got = {}
    for day in (1, 8, 9, 11):  # 9, 4, 3 and 1 working days before Friday 12 December
        with at(2025, 12, day):
            services.run_scan()
    for d in Delivery.objects.select_related("alert", "user"):
        got.setdefault(d.user.username, []).append(d.alert.lead)
    assert sorted(got["viewer"]) == [3]
    assert sorted(got["compliance"]) == [1, 5, 10]


def test_preference_update_refuses_bad_values_naming_the_field(viewer):
    from django.core.exceptions import ValidationError

    for kwargs, field in [
        ({"kinds": {"nope": "immediate"}}, "kinds.nope"),
        ({"kinds": {"decision_overdue": "loudly"}}, "kinds.decision_overdue"),
        ({"lead_times": {"decision_due_soon": [-1]}}, "lead_times.decision_due_soon"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"digest_hour": 24}, "digest_hour"),
    ]:
        with pytest.raises(ValidationError) as exc:
            services.preference_update(user=viewer, **kwargs)
        assert field in exc.value.message_dict


# --- Digests ---------------------------------------------------------------------------------------


def test_digest_users_get_one_email_a_day_at_their_local_hour(viewer, compliance):
    services.preference_update(user=viewer, kinds={"decision_overdue": "digest", "decision_due_soon": "digest"},
                               time_zone="Asia/Tokyo", digest_hour=8)
    services.preference_update(user=compliance, kinds={"decision_due_soon": "immediate"})
    overdue_app()
    ApplicationFactory(status=ApplicationStatus.ACCEPTED, accepted_on=dt.date(2025, 8, 1),
                       decision_due=dt.date(2025, 12, 10))
    with at(2025, 12, 8, hour=1):  # 10:00 in Tokyo
        services.run_scan()
    digest = Delivery.objects.filter(user=viewer)
    assert set(digest.values_list("mode", flat=True)) == {Mode.DIGEST}
    assert mail.outbox == [] or all(m.to == ["compliance@example.com"] for m in mail.outbox)

    with time_at(2025, 12, 8, 22, 30):  # 07:30 on the 9th in Tokyo: before the hour
        assert tasks.send_digests() == 0
    with time_at(2025, 12, 8, 23, 5):  # 08:05 in Tokyo
        assert tasks.send_digests() == 1
    digests = [m for m in mail.outbox if m.to == ["viewer@example.com"]]
    assert len(digests) == 1 and digests[0].subject == "Daily digest: 2 alerts"
    assert "Decision overdue" in digests[0].body and "Decision due soon" in digests[0].body
    assert set(digest.values_list("status", flat=True)) == {DeliveryStatus.SENT}
    with time_at(2025, 12, 9, 1, 0):  # later the same local day: nothing more
        assert tasks.send_digests() == 0
    assert Preference.objects.get(user=viewer).last_digest_on == dt.date(2025, 12, 9)


def test_a_digest_refused_temporarily_is_sent_by_a_later_run(viewer, flaky_mail):
    services.preference_update(user=viewer, kinds={"decision_overdue": "digest"}, digest_hour=7,
                               time_zone="UTC")
    overdue_app()
    with at(2025, 12, 8):
        services.run_scan()
    flaky_mail.failures = 1
    with time_at(2025, 12, 8, 7, 10):
        tasks.send_digests()
        assert flaky_mail.sent == []
        tasks.send_digests()
    assert len(flaky_mail.sent) == 1
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}


def test_a_digest_whose_worker_died_mid_send_is_sent_once_by_the_redelivered_task_or_the_sweeper(
    viewer, compliance, settings
):
    """A worker claimed two users' digests and died before the SMTP server accepted them: the
    rows stay ``sending`` with the dead claim. A fresh claim is left alone (its sender may be
    alive); once stale, the redelivered task sends one user's digest and the sweeper the
    other's, each once, and nothing later sends them again."""
    for user in (viewer, compliance):
        services.preference_update(user=user, kinds={"decision_overdue": "digest", "decision_due_soon": "digest"},
                                   time_zone="UTC", digest_hour=7)
    overdue_app()
    ApplicationFactory(status=ApplicationStatus.ACCEPTED, accepted_on=dt.date(2025, 8, 1),
                       decision_due=dt.date(2025, 12, 10))
    with at(2025, 12, 8):
        services.run_scan()
    assert Delivery.objects.filter(mode=Mode.DIGEST).count() == 4
    with time_at(2025, 12, 8, 7, 10):
        for user in (viewer, compliance):  # the dead worker's claims: day and rows taken, nothing sent
            assert len(services.digest_claim(user.pk, f"dead-{user.pk}")) == 2
        assert tasks.send_digest(viewer.pk) == 0  # redelivered at once: the claim is fresh, hands off
        assert tasks.send_digests() == 0
    assert mail.outbox == []
    stale = dt.datetime(2025, 12, 8, 7, 10, tzinfo=dt.UTC) + dt.timedelta(seconds=settings.ALERT_CLAIM_TIMEOUT + 1)
    with time_machine.travel(stale, tick=False):
        assert tasks.send_digest(viewer.pk) == 2  # the redelivered task sends what was not sent
        tasks.scan()  # the sweeper finds the other user's stuck rows and queues that digest
        tasks.scan()
        tasks.send_digests()
        tasks.send_digest(viewer.pk)
        tasks.send_digest(compliance.pk)
    assert sorted(m.to[0] for m in mail.outbox) == ["compliance@example.com", "viewer@example.com"]
    assert all(m.subject == "Daily digest: 2 alerts" for m in mail.outbox)
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}



def test_a_digest_queued_for_a_user_deleted_since_sends_nothing_and_does_not_fail(viewer):
    """A queued or redelivered ``send_digest`` may outlive its user: it is a no-op, not an
    IntegrityError retried by every worker that takes it."""
    services.preference_update(user=viewer, kinds={"decision_overdue": "digest"}, digest_hour=7, time_zone="UTC")
    overdue_app()
    with at(2025, 12, 8):
        services.run_scan()
    user_id = viewer.pk
    viewer.delete()
    with time_at(2025, 12, 8, 7, 10):
        assert tasks.send_digest(user_id) == 0
        assert tasks.send_digest(user_id, left_behind_only=True) == 0
    assert mail.outbox == []
    assert not Preference.objects.filter(user_id=user_id).exists()


def test_the_sweeper_recovering_a_dead_digest_does_not_send_todays_before_the_digest_hour(viewer, settings):
    """Yesterday's digest died mid-send; the sweeper runs at 03:00, before the 07:00 digest:
    it sends the rows left behind, and today's new rows wait for 07:00."""
    services.preference_update(user=viewer, kinds={"decision_overdue": "digest"}, time_zone="UTC", digest_hour=7)
    overdue_app()
    with at(2025, 12, 7):
        services.run_scan()
    with time_at(2025, 12, 7, 7, 10):
        assert len(services.digest_claim(viewer.pk, "dead")) == 1  # claimed, then the worker died
    overdue_app()  # a second one, alerted on the 8th: today's digest row
    with at(2025, 12, 8):
        services.run_scan()
    today = Delivery.objects.get(mode=Mode.DIGEST, status=DeliveryStatus.PENDING)
    with time_at(2025, 12, 8, 3, 0):
        assert [d.claim for d in services.digest_claim(viewer.pk, "sweep", left_behind_only=True)] == ["sweep"]
        today.refresh_from_db()
        assert today.status == DeliveryStatus.PENDING
        assert services.Preference.objects.get(user=viewer).last_digest_on == dt.date(2025, 12, 7)


def time_at(y, m, d, hh, mm):
    import time_machine

    return time_machine.travel(dt.datetime(y, m, d, hh, mm, tzinfo=dt.UTC), tick=False)


# --- The command -----------------------------------------------------------------------------------


def test_scan_alerts_command_prints_how_many_it_created(subscribers, capsys):
    overdue_app()
    with at(2025, 12, 8):
        call_command("scan_alerts", "--no-send")
        call_command("scan_alerts", "--no-send")
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("1 alerts created") and out[1].startswith("0 alerts created")


def test_a_user_without_email_gets_a_failed_delivery_not_an_error(subscribers):
    UserFactory(username="noemail", email="", role=Role.VIEWER)
    overdue_app()
    with at(2025, 12, 8):
        result = services.run_scan()
    tasks.deliver_emails(result.deliveries)
    failed = Delivery.objects.get(user__username="noemail")
    assert failed.status == DeliveryStatus.FAILED and "no email" in failed.last_error


def test_a_policy_event_email_lists_and_links_what_it_affects(viewer, settings):
    from tests.factories import ApplicationLineFactory, ControlledItemFactory, PolicyEventFactory

    settings.SITE_URL = "https://tracker.example.com"
    services.preference_update(user=viewer, kinds={"policy_event_upcoming": "immediate"})  # default: the digest
    dy = ControlledItemFactory(code="DY", elements="Dy")
    line = ApplicationLineFactory(item=dy, application=ApplicationFactory(status=ApplicationStatus.SUBMITTED))
    event = PolicyEventFactory(date=dt.date(2026, 11, 10), title="Suspension of Announcement 70 ends")
    event.items.set([dy])
    with at(2026, 11, 9):
        result = services.run_scan()
    tasks.deliver_emails(result.deliveries)
    policy = [m for m in mail.outbox if m.extra_headers["X-Alert-Kind"] == Kind.POLICY_EVENT_UPCOMING]
    assert len(policy) == 1
    link = f"https://tracker.example.com/applications/{line.application_id}/"
    assert link in policy[0].body and f'href="{link}"' in policy[0].alternatives[0][0]
    assert "Suspension of Announcement 70 ends" in policy[0].body


def test_the_admin_names_deliveries_in_the_plural(admin_client):
    page = admin_client.get("/admin/").content.decode()
    assert "Deliveries" in page and "Webhook deliveries" in page and "Deliverys" not in page


# --- Batches ---------------------------------------------------------------------------------------


def _immediate_deliveries(n: int) -> list[int]:
    import uuid

    users = [UserFactory(username=f"batch{i}", role=Role.VIEWER) for i in range(3)]
    batch = uuid.uuid4()
    Alert.objects.bulk_create([
        Alert(kind=Kind.SHIPMENT_LATE, subject_type="shipment", subject_id=i, threshold=f"eta@{batch}",
              alerted_on=dt.date(2025, 12, 8), batch=batch, message=f"Shipment {i} is late.", url=f"/shipments/{i}/")
        for i in range(n)
    ])
    alerts = list(Alert.objects.filter(batch=batch).order_by("id"))
    Delivery.objects.bulk_create([Delivery(alert=a, user=users[i % 3]) for i, a in enumerate(alerts)])
    return list(Delivery.objects.filter(alert__batch=batch).order_by("id").values_list("id", flat=True))


@pytest.mark.parametrize("n", [1, 10, 50])
def test_delivering_a_batch_costs_two_queries_and_one_update_per_message(n, django_assert_num_queries):
    """Claim (one UPDATE), load with alert and user (one SELECT), then each message marked sent
    (one UPDATE) as soon as the server accepted it: a killed worker repeats at most the one in
    flight. Rendering costs nothing per message (the links are worked out once per batch)."""
    ids = _immediate_deliveries(n)
    with django_assert_num_queries(2 + n):
        counts = tasks.deliver_emails(ids)
    assert counts == {"sent": n, "failed": 0, "retry": 0, "skipped": 0}
    assert len(mail.outbox) == n
    assert Delivery.objects.filter(pk__in=ids, status=DeliveryStatus.SENT).count() == n
    # The raw per-message UPDATE stores an aware instant the ORM reads back as it wrote it.
    stamps = Delivery.objects.filter(pk__in=ids).values_list("sent_at", flat=True)
    assert all(abs(timezone.now() - stamp) < dt.timedelta(seconds=30) for stamp in stamps)


def test_a_batch_partly_held_by_another_sender_sends_the_rest_and_leaves_those(django_assert_num_queries, settings):
    # As with Redis (visibility timeout 60 s): a countdown past the claim timeout is left to the
    # sweeper, where the eager test worker would otherwise run the look-again at once, forever.
    settings.ALERT_MAX_COUNTDOWN = settings.ALERT_CLAIM_TIMEOUT
    ids = _immediate_deliveries(6)
    assert services.deliveries_claim(ids[:2], "alive")  # a live sender holds two
    with django_assert_num_queries(3 + 4):  # claim, load, the rows held elsewhere; 4 sent
        counts = tasks.deliver_emails(ids)
    assert counts["sent"] == 4 and counts["skipped"] == 2
    assert set(Delivery.objects.filter(pk__in=ids[:2]).values_list("claim", flat=True)) == {"alive"}
    assert sorted(int(m.extra_headers["X-Alert-Delivery"]) for m in mail.outbox) == ids[2:]


def test_one_refusal_in_a_batch_is_retried_alone_and_the_others_are_sent(flaky_mail, settings):
    settings.ALERT_RETRY_BASE = 10_000  # longer than the broker allows: the sweeper retries it
    ids = _immediate_deliveries(5)
    flaky_mail.failures = 1  # the first message of the batch
    counts = tasks.deliver_emails(ids)
    assert counts == {"sent": 4, "failed": 0, "retry": 1, "skipped": 0}
    first = Delivery.objects.get(pk=ids[0])
    assert first.status == DeliveryStatus.PENDING and first.next_attempt_at and "451" in first.last_error
    assert Delivery.objects.filter(pk__in=ids[1:], status=DeliveryStatus.SENT).count() == 4


def test_a_batch_slower_than_a_quarter_of_the_claim_timeout_renews_its_claims(settings, flaky_mail, monkeypatch):
    """So a live sender on a slow server is never taken over by the sweeper mid-batch."""
    settings.ALERT_CLAIM_TIMEOUT = 0  # every message counts as slow
    ids = _immediate_deliveries(3)
    renewed = []
    original = services.deliveries_renew_claim
    monkeypatch.setattr(services, "deliveries_renew_claim", lambda token: renewed.append(token) or original(token))
    tasks.deliver_emails(ids)
    assert len(renewed) == 3 and len(set(renewed)) == 1
    assert Delivery.objects.filter(pk__in=ids, status=DeliveryStatus.SENT).count() == 3
