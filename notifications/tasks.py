"""Celery tasks: thin shells (ids in, service calls) around the outbox (STYLE 5).

Every task is ``acks_late`` with ``reject_on_worker_lost`` (settings), so a worker that dies
leaves its message to be handed out again; the claim on the row makes the repeat harmless.
Temporary failures are retried per row with exponential backoff (``next_attempt_at``), because
a batch mixes rows that succeeded with rows that must wait; permanent ones are recorded failed.
"""

from __future__ import annotations

import logging
import secrets
import time

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from . import services
from .models import WebhookDelivery
from .transports import TransportError
from .transports import email as email_transport
from .transports import webhook as webhook_transport

log = logging.getLogger(__name__)
# Deliveries per task: one claim, one load and one SMTP connection serve the batch. At a few
# hundred messages a second a batch takes well under a second, far inside ALERT_CLAIM_TIMEOUT.
EMAIL_BATCH = 50
WAKE_WINDOW = 2  # seconds
# Decisions arriving in a burst (an ERP back-load) share one analytics refresh.


def _countdown_ok(countdown: int | None) -> bool:
    """A countdown past the broker's visibility timeout would be re-delivered while it waits;
    such rows keep their next_attempt_at and the scan's sweeper queues them when due."""
    return countdown is None or countdown <= settings.ALERT_MAX_COUNTDOWN


def queue_emails(ids: list[int], countdown: int | None = None) -> None:
    if not _countdown_ok(countdown):
        return
    for start in range(0, len(ids), EMAIL_BATCH):
        deliver_emails.apply_async((ids[start:start + EMAIL_BATCH],), countdown=countdown)


def queue_webhooks(ids: list[int], countdown: int | None = None) -> None:
    if not _countdown_ok(countdown):
        return
    for pk in ids:
        deliver_webhook.apply_async((pk,), countdown=countdown)


def queue_result(result: services.ScanResult) -> None:
    """Queue the sending once the scan's rows are committed (a worker must see them)."""
    emails, hooks = list(result.deliveries), list(result.webhook_deliveries)
    transaction.on_commit(lambda: (queue_emails(emails), queue_webhooks(hooks)))


@shared_task(acks_late=True)
def scan() -> int:
    """Beat, every ALERT_SCAN_MINUTES: the scan, then the sweeper for lost or stuck deliveries."""
    result = services.run_scan()
    queue_result(result)
    requeued = _sweep()
    log.info("scan: %s alerts, %s deliveries, %s re-queued", result.alerts, len(result.deliveries), requeued)
    return result.alerts


@shared_task(acks_late=True)
def daily() -> int:
    """Beat, once a day: the kinds that change at most daily (policy_review_due), outside the scan."""
    result = services.run_daily()
    queue_result(result)
    return result.alerts


@shared_task(acks_late=True)
def sweep() -> int:
    """Beat, every ALERT_SWEEP_SECONDS: queue again what was lost (docs/alerts.md, "Recovery")."""
    return _sweep()


def _sweep() -> int:
    """Queue again what a lost task or a dead worker left behind; the claims decide who sends."""
    emails, hooks = services.stuck_deliveries()
    digests = services.stuck_digests()
    queue_emails(emails)
    queue_webhooks(hooks)
    for user_id in digests:
        send_digest.delay(user_id, left_behind_only=True)
    return len(emails) + len(hooks) + len(digests)


@shared_task(acks_late=True)
def process_outbox() -> int:
    """Woken by the core's on-commit signals: the timeline rows and new licences only."""
    result = services.run_scan(maintenance=False, deadlines=False)
    queue_result(result)
    return result.alerts


@shared_task(acks_late=True)
def deliver_emails(delivery_ids: list[int]) -> dict:
    """Claim the batch in one statement, send it over one SMTP connection, one message at a
    time (failures are per delivery), and mark each message sent as soon as the server has
    accepted it, before the next is sent. A worker killed mid-batch leaves only the message in
    flight ``sending``; it is sent again once the claim is stale, twice only if the kill fell
    between the server's reply and that UPDATE, and then with the same Message-ID
    (docs/alerts.md, "Guarantee 3")."""
    token = secrets.token_hex(16)
    counts = {"sent": 0, "failed": 0, "retry": 0, "skipped": 0}
    deliveries = services.deliveries_claim(delivery_ids, token)
    # Sent already (a re-delivered task: nothing to do) or held by another sender, perhaps a
    # dead one: look again once its claim has gone stale.
    busy = services.deliveries_held_elsewhere(delivery_ids, token) if len(deliveries) < len(delivery_ids) else []
    counts["skipped"] = len(delivery_ids) - len(deliveries)
    retry: dict[int, list[int]] = {}
    shared = email_transport.BatchContext()
    connection = None
    renewed = time.monotonic()
    try:
        for delivery in deliveries:
            if time.monotonic() - renewed > settings.ALERT_CLAIM_TIMEOUT / 4:
                services.deliveries_renew_claim(token)  # a slow server: keep the batch's claims fresh
                renewed = time.monotonic()
            try:
                message = email_transport.alert_message(delivery, shared)
                if connection is None:
                    connection = email_transport.open_connection()
                try:
                    email_transport.send_message(message, connection)
                except TransportError:
                    connection.close()  # a refused transaction can leave the session unusable
                    connection = None
                    raise
            except TransportError as exc:
                status = services.delivery_finish(delivery, token, ok=False, permanent=exc.permanent, error=str(exc))
                if status == "pending":
                    retry.setdefault(services.backoff_seconds(delivery.attempts), []).append(delivery.pk)
                counts["retry" if status == "pending" else "failed"] += 1
                continue
            # Recorded before the next message: a kill repeats at most the one in flight.
            services.delivery_sent(delivery.pk, token)
            counts["sent"] += 1
    finally:
        if connection is not None:
            connection.close()
    for countdown, ids in retry.items():
        queue_emails(ids, countdown=countdown)
    if busy:
        queue_emails(busy, countdown=settings.ALERT_CLAIM_TIMEOUT + 1)
    return counts


@shared_task(acks_late=True)
def deliver_webhook(delivery_id: int) -> str:
    """Claim, POST, record; retry a temporary failure after its backoff."""
    token = secrets.token_hex(16)
    if not services.webhook_claim(delivery_id, token):
        if WebhookDelivery.objects.filter(pk=delivery_id, status="sending").exists():
            queue_webhooks([delivery_id], countdown=settings.ALERT_CLAIM_TIMEOUT + 1)
        return "skipped"
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    try:
        code = webhook_transport.send(delivery)
    except TransportError as exc:
        status = services.webhook_finish(
            delivery, token, ok=False, permanent=exc.permanent, error=str(exc), response_code=exc.code
        )
        if status == "pending":
            queue_webhooks([delivery_id], countdown=services.backoff_seconds(delivery.attempts))
        return status
    return services.webhook_finish(delivery, token, ok=True, response_code=code)


@shared_task(acks_late=True)
def send_digests() -> int:
    """Beat, every 15 minutes: one digest per user whose local digest hour has come today."""
    sent = 0
    for user_id in services.digest_due_users():
        send_digest.delay(user_id)
        sent += 1
    return sent


@shared_task(acks_late=True)
def send_digest(user_id: int, left_behind_only: bool = False) -> int:
    """Claim the user's digest rows, send them as one email, mark them sent once accepted.
    Redelivered after a worker died, it sends the rows the dead one left (their claim stale);
    queued by the sweeper (``left_behind_only``), it sends only those."""
    token = secrets.token_hex(16)
    deliveries = services.digest_claim(user_id, token, left_behind_only=left_behind_only)
    if not deliveries:
        return 0
    try:
        email_transport.send_message(email_transport.digest_message(deliveries[0].user, deliveries))
    except TransportError as exc:
        services.digest_finish(user_id, token, ok=False, permanent=exc.permanent, error=str(exc))
        return 0
    services.digest_finish(user_id, token, ok=True)
    return len(deliveries)


def wake(**_kwargs) -> None:
    """Receiver of the core's on-commit signals: run the outbox now rather than at the next
    beat. Best effort on purpose: if the broker is down the scan still finds the events."""
    if not settings.ALERT_WAKE_ON_SIGNAL:
        return
    try:
        # Trailing-edge debounce: the first change in a window queues one run at its end,
        # which sees every change committed in the window (an ERP import of 10,000
        # transitions wakes the outbox a handful of times, not 10,000).
        if cache.add("notifications:outbox-wake", 1, timeout=WAKE_WINDOW):
            process_outbox.apply_async(countdown=WAKE_WINDOW)
    except Exception:
        log.warning("could not queue the outbox run; the next scan will pick the events up", exc_info=True)
