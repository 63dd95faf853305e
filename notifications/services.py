"""Writes of the notifications app: the scan (alerts into the outbox), the fan-out into
deliveries, the claims that make sending idempotent, preferences and webhooks."""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import connection, transaction
from django.db.models import CharField, Exists, F, OuterRef, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from core.errors import field_error
from core.roles import RANK, Role
from licensing import clock
from licensing import services as licensing_services
from licensing.models import ApplicationEvent, ApplicationStatus, Licence, LicenceApplication
from shipments import services as shipment_services

from . import scan
from .models import (
    KIND_ROLES,
    KIND_SEVERITY,
    Alert,
    Delivery,
    DeliveryStatus,
    Kind,
    Mode,
    Preference,
    ScanWatermark,
    Severity,
    SubjectType,
    WebhookDelivery,
    WebhookEndpoint,
    default_mode,
)

log = logging.getLogger(__name__)
User = get_user_model()
OUTBOX_BATCH = 1000  # events per scan transaction; a backlog drains over the next scans
WEBHOOK_EVENT_TYPES = ("application.status_changed", "licence.created", "alert.created")


# --- Preferences ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    user_id: int
    kinds: dict[str, str]
    lead_times: dict[str, list[int]]

    def mode(self, kind: str, severity: str | None = None) -> str:
        """'immediate', 'digest' or 'off': the user's choice for this kind, else the default
        (critical at once, the rest in the digest, status changes off: docs/alerts.md)."""
        if kind in self.kinds:
            return self.kinds[kind]
        return default_mode(kind, severity or KIND_SEVERITY.get(kind, Severity.WARNING))

    def leads(self, kind: str) -> list[int] | None:
        return self.lead_times.get(kind) or settings.ALERT_LEAD_TIMES.get(kind)


def recipients() -> list[Recipient]:
    """Active users holding a role (superusers included), with their preferences: one query."""
    users = (
        User.objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(groups__name__in=[r.value for r in Role]))
        .distinct()
        .values_list("pk", "alert_preference__kinds", "alert_preference__lead_times")
    )
    return [Recipient(pk, kinds or {}, leads or {}) for pk, kinds, leads in users]


def preference_for(user) -> Preference:
    pref, _ = Preference.objects.get_or_create(user=user)
    return pref


@transaction.atomic
def preference_update(
    *,
    user,
    kinds: dict[str, str] | None = None,
    lead_times: dict[str, list[int]] | None = None,
    time_zone: str | None = None,
    digest_hour: int | None = None,
) -> Preference:
    """Change a user's notification settings; bad values are refused naming the field."""
    pref = Preference.objects.select_for_update().get(pk=preference_for(user).pk)
    if kinds is not None:
        for kind, mode in kinds.items():
            if kind not in Kind.values:
                raise field_error(f"kinds.{kind}", f"'{kind}' is not an alert kind.")
            if mode not in ("immediate", "digest", "off"):
                raise field_error(f"kinds.{kind}", "Choose immediate, digest or off.")
        pref.kinds = kinds
    if lead_times is not None:
        clean: dict[str, list[int]] = {}
        for kind, leads in lead_times.items():
            if kind not in settings.ALERT_LEAD_TIMES:
                raise field_error(f"lead_times.{kind}", f"'{kind}' has no lead times.")
            if not all(isinstance(n, int) and 0 <= n <= 365 for n in leads):
                raise field_error(f"lead_times.{kind}", "Give whole numbers of days from 0 to 365.")
            if leads:
                clean[kind] = sorted(set(leads), reverse=True)
        pref.lead_times = clean
    if time_zone is not None:
        if time_zone:
            try:
                ZoneInfo(time_zone)
            except (ZoneInfoNotFoundError, ValueError):
                raise field_error("time_zone", f"'{time_zone}' is not a time zone (e.g. Europe/Berlin).") from None
        pref.time_zone = time_zone
    if digest_hour is not None:
        if not 0 <= digest_hour <= 23:
            raise field_error("digest_hour", "Give an hour from 0 to 23.")
        pref.digest_hour = digest_hour
    pref.save()
    return pref


def preference_regenerate_ics_token(*, user) -> Preference:
    """A new secret for the calendar feed; the old link stops working at once."""
    pref = preference_for(user)
    pref.ics_token = secrets.token_urlsafe(32)
    pref.save(update_fields=["ics_token"])
    return pref


UNSUBSCRIBE_SALT = "notifications.unsubscribe"


def unsubscribe_token(user_id: int, kind: str) -> str:
    return signing.dumps({"u": user_id, "k": kind}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe(token: str) -> tuple[Any, str]:
    """Turn one kind off for the user the signed token names (works without a login).

    Raises ``signing.BadSignature`` for a forged or damaged token."""
    data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    user = User.objects.filter(pk=data.get("u")).first()
    if user is None or data.get("k") not in Kind.values:
        raise signing.BadSignature("The token names no current user or kind.")
    kind = Kind(data["k"])
    with transaction.atomic():
        pref = Preference.objects.select_for_update().get(pk=preference_for(user).pk)
        pref.kinds = {**pref.kinds, kind.value: "off"}
        pref.save(update_fields=["kinds"])
    return user, kind


def alerts_mark_read(*, user, alert_ids: Iterable[int] | None = None) -> int:
    """Mark the user's deliveries of these alerts (all, when None) read."""
    qs = Delivery.objects.filter(user=user, read_at__isnull=True)
    if alert_ids is not None:
        qs = qs.filter(alert_id__in=list(alert_ids))
    return qs.update(read_at=timezone.now())


# --- The scan ---------------------------------------------------------------------------------


@dataclass
class ScanResult:
    alerts: int = 0
    deliveries: list[int] = field(default_factory=list)
    webhook_deliveries: list[int] = field(default_factory=list)
    events: int = 0


def _lead_union(people: list[Recipient]) -> dict[str, list[int]]:
    leads = {kind: set(values) for kind, values in settings.ALERT_LEAD_TIMES.items()}
    for person in people:
        for kind, values in person.lead_times.items():
            leads.setdefault(kind, set()).update(values)
    return {kind: sorted(values) for kind, values in leads.items()}


def scan_maintenance(today: dt.date, *, cal: clock.WorkingCalendar | None = None) -> None:
    """Keep the stored deadline columns true before selecting on them.

    A supplement period still open moves its application's due date out each working day,
    expired licences must stop counting as active, and held shipments' windows follow
    calendar overrides."""
    cal = cal or clock.calendar()
    licensing_services.applications_refresh_clocks(
        LicenceApplication.objects.filter(status=ApplicationStatus.SUPPLEMENT_REQUESTED, accepted_on__isnull=False),
        cal=cal,
    )
    licensing_services.licences_expire(today)
    shipment_services.shipments_refresh_customs_due(cal=cal)


def run_scan(*, today: dt.date | None = None, maintenance: bool = True, deadlines: bool = True) -> ScanResult:
    """One scan (docs/architecture.md#delivery-guarantees): the outbox, every kind's due alerts, deliveries, webhooks.

    Safe to run twice or in two processes at once: alerts and deliveries have unique keys
    and are inserted with ON CONFLICT DO NOTHING; outbox events are claimed with a
    conditional UPDATE. Every write is one transaction: a crash leaves no half-made alert,
    and the watermark of the incremental kinds moves in it, so an interrupted scan's changes
    are looked at again by the next. The selectors only read (each statement sees what is
    committed, in a transaction or not), so a scan with nothing new opens no transaction and
    costs a constant, small number of queries (docs/benchmarks.md).
    Returns what it created; the caller queues the sending after commit. ``deadlines=False``
    handles the outbox (timeline rows, new licences) only, for the early wake-up.
    """
    today = today or clock.today()
    started = timezone.now()  # the watermark: changes written from here on are the next scan's
    cal = clock.calendar()
    if maintenance:
        scan_maintenance(today, cal=cal)
    people = recipients()
    ctx = scan.ScanContext(today=today, cal=cal, batch=uuid.uuid4(), leads=_lead_union(people))
    result = ScanResult()
    pending = _outbox_pending()
    deadline_alerts: list[Alert] = []
    if deadlines:
        ctx.changes = scan.changes_since_last_scan(ctx)
        deadline_alerts = scan.select_all(ctx)
    if not pending and not deadline_alerts:
        if deadlines:
            _watermark_save(started, ctx)
        return result
    with transaction.atomic():
        alerts, status_events = _outbox_alerts(ctx, pending)
        result.events = len(status_events)
        alerts.extend(deadline_alerts)
        Alert.objects.bulk_create(alerts, batch_size=1000, ignore_conflicts=True)
        created = list(Alert.objects.filter(batch=ctx.batch).order_by("id")) if alerts else []
        result.alerts = len(created)
        result.deliveries = _fan_out(created, people)
        result.webhook_deliveries = _webhook_deliveries(created, status_events)
        if deadlines:
            _watermark_save(started, ctx)
    return result


def run_daily(*, today: dt.date | None = None) -> ScanResult:
    """Once a day (``notifications.tasks.daily``): the kinds that change at most daily
    (``scan.DAILY_SELECTORS``: policy_review_due), kept out of ``run_scan`` so that a scan with
    nothing new keeps its fixed, small number of queries. Safe to repeat: the alerts' unique
    key makes a second run the same day insert nothing. Returns what it created."""
    today = today or clock.today()
    ctx = scan.ScanContext(today=today, cal=clock.calendar(), batch=uuid.uuid4())
    result = ScanResult()
    alerts = scan.select_daily(ctx)
    if not alerts:
        return result
    people = recipients()
    with transaction.atomic():
        Alert.objects.bulk_create(alerts, batch_size=1000, ignore_conflicts=True)
        created = list(Alert.objects.filter(batch=ctx.batch).order_by("id"))
        result.alerts = len(created)
        result.deliveries = _fan_out(created, people)
        result.webhook_deliveries = _webhook_deliveries(created, [])
    return result


def _watermark_save(started: dt.datetime, ctx: scan.ScanContext) -> None:
    """The incremental kinds have looked at everything written before ``started``, and the
    policy events' impact as ``ctx.impact_checked`` says: one UPDATE (no transaction of its
    own); the very first scan inserts the row (an upsert, so two first scans at once do not
    collide)."""
    params = scan.watermark_params()
    if ctx.impact_checked:
        params[scan.IMPACT_CHECKED] = ctx.impact_checked
    if not ScanWatermark.objects.filter(name=scan.WATERMARK).update(scanned_at=started, params=params):
        ScanWatermark.objects.bulk_create(
            [ScanWatermark(name=scan.WATERMARK, scanned_at=started, params=params)],
            update_conflicts=True, unique_fields=["name"], update_fields=["scanned_at", "params"],
        )


def _outbox_pending() -> list[int]:
    """Ids of unprocessed timeline rows, oldest first (at most OUTBOX_BATCH)."""
    return list(
        ApplicationEvent.objects.filter(processed_at__isnull=True).order_by("id").values_list("id", flat=True)[
            :OUTBOX_BATCH
        ]
    )


def _outbox_alerts(ctx: scan.ScanContext, ids: list[int]) -> tuple[list[Alert], list[ApplicationEvent]]:
    """Claim these unprocessed timeline rows (conditional UPDATE) and turn them into alerts.

    The claim stamps ``processed_at`` with this scan's own instant; reading back the rows
    carrying it tells which ones *this* scan won. Inside the scan's transaction, so a crash
    un-claims them."""
    if not ids:
        return [], []
    stamp = timezone.now() + dt.timedelta(microseconds=secrets.randbelow(1000))
    ApplicationEvent.objects.filter(pk__in=ids, processed_at__isnull=True).update(processed_at=stamp)
    events = list(
        ApplicationEvent.objects.filter(pk__in=ids, processed_at=stamp)
        .select_related("application__supplier")
        .prefetch_related("application__licences")
        .order_by("id")
    )
    alerts = []
    for event in events:
        if backloaded(event):
            continue  # claimed (processed) all the same: history never alerts, now or later
        alerts.extend(_event_alerts(ctx, event))
    return alerts, events


def backloaded(event: ApplicationEvent) -> bool:
    """A step dated before its application was entered here: history typed in afterwards (an
    ERP back-loading a year, an import, the demo). It is kept in the timeline and sent to
    webhooks, but alerts nobody: it is not news to anyone."""
    return event.on < event.application.created_at.astimezone(ZoneInfo(settings.CLOCK_TIME_ZONE)).date()


def _event_alerts(ctx: scan.ScanContext, event: ApplicationEvent) -> list[Alert]:
    """A timeline step as people read it: labels, not codes, and the licence an approval granted."""
    app = event.application
    base = dict(subject_type=SubjectType.APPLICATION, subject_id=app.pk, due_on=event.on,
                url=scan.url_for(SubjectType.APPLICATION, app.pk), context={"event_id": event.pk})
    label = f"{app.reference} ({app.supplier.name})"
    before = ApplicationStatus(event.from_status).label if event.from_status else "New"
    after = ApplicationStatus(event.to_status).label
    note = f" Note: {event.note}" if event.note else ""
    granted = ""
    if event.to_status == ApplicationStatus.APPROVED:
        numbers = [lic.number for lic in app.licences.all()]
        granted = f" Licence {', '.join(numbers)} granted." if numbers else " The licence is not recorded yet."
    alerts = [ctx.alert(
        kind=Kind.STATUS_CHANGED, threshold=f"event:{event.pk}", **base,
        message=f"{label}: {before} → {after} on {scan.human_date(event.on)}.{granted}{note}",
    )]
    if event.to_status == ApplicationStatus.SUPPLEMENT_REQUESTED:
        alerts.append(ctx.alert(
            kind=Kind.SUPPLEMENT_REQUESTED, threshold=f"event:{event.pk}", **base,
            message=f"{label}: MOFCOM requested supplementary material on {scan.human_date(event.on)}.{note}",
        ))
    return alerts


def _audiences(kinds: Iterable[str]) -> dict[str, set[int]]:
    """For the kinds among ``kinds`` kept to a role (``KIND_ROLES``): the ids of the active users
    holding that role or a higher one. No query unless such a kind is there."""
    out = {}
    for kind in set(kinds) & set(KIND_ROLES):
        roles = [r.value for r in Role if RANK[r] >= RANK[Role(KIND_ROLES[kind])]]
        out[kind] = set(
            User.objects.filter(is_active=True)
            .filter(Q(is_superuser=True) | Q(groups__name__in=roles))
            .values_list("pk", flat=True)
        )
    return out


def _fan_out(alerts: list[Alert], people: list[Recipient]) -> list[int]:
    """One delivery per alert and subscribed recipient (of its role, ``KIND_ROLES``); returns
    the immediate ones to send."""
    rows = []
    audiences = _audiences(alert.kind for alert in alerts)
    for alert in alerts:
        for person in people:
            if alert.kind in audiences and person.user_id not in audiences[alert.kind]:
                continue
            mode = person.mode(alert.kind, alert.severity)
            if mode == "off":
                continue
            if alert.lead is not None and alert.kind in settings.ALERT_LEAD_TIMES:
                wanted = person.lead_times.get(alert.kind)
                if alert.kind == Kind.POLICY_EVENT_UPCOMING and not wanted:
                    pass  # the event's own lead days decided; nothing to filter
                elif alert.lead not in (wanted or settings.ALERT_LEAD_TIMES[alert.kind]):
                    continue
            rows.append(Delivery(alert=alert, user_id=person.user_id, mode=mode))
    Delivery.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    return list(
        Delivery.objects.filter(
            alert__in=alerts, mode=Mode.IMMEDIATE, status=DeliveryStatus.PENDING
        ).order_by("id").values_list("id", flat=True)
    ) if rows else []


# --- Webhook events ---------------------------------------------------------------------------


def _event_body(event_type: str, key: str, data: dict) -> str:
    return json.dumps(
        {"id": key, "type": event_type, "created_at": timezone.now().isoformat(), "data": data},
        sort_keys=True, default=str,
    )


def alert_payload(alert: Alert) -> dict:
    return {
        "id": alert.pk, "kind": alert.kind, "subject_type": alert.subject_type, "subject_id": alert.subject_id,
        "threshold": alert.threshold, "due_on": alert.due_on, "severity": alert.severity,
        "message": alert.message, "url": f"{settings.SITE_URL}{alert.url}" if alert.url else "",
        "created_at": alert.created_at,
    }


def _webhook_deliveries(alerts: list[Alert], events: list[ApplicationEvent]) -> list[int]:
    endpoints = list(WebhookEndpoint.objects.filter(active=True))
    if not endpoints:
        return []
    rows = []
    for endpoint in endpoints:
        if endpoint.wants("alert.created"):
            for alert in alerts:
                key = f"alert.created:{alert.pk}"
                rows.append(WebhookDelivery(endpoint=endpoint, event_type="alert.created", event_key=key,
                                            body=_event_body("alert.created", key, alert_payload(alert))))
        if endpoint.wants("application.status_changed"):
            for event in events:
                key = f"application.status_changed:{event.pk}"
                app = event.application
                data = {"application": {"id": app.pk, "reference": app.reference, "external_ref": app.external_ref,
                                        "status": app.status, "decision_due": app.decision_due},
                        "from_status": event.from_status, "to_status": event.to_status, "on": event.on,
                        "note": event.note, "source": event.source, "reported_by": event.reported_by}
                rows.append(WebhookDelivery(endpoint=endpoint, event_type="application.status_changed",
                                            event_key=key, body=_event_body("application.status_changed", key, data)))
        if endpoint.wants("licence.created"):
            rows.extend(_licence_created_rows(endpoint))
    WebhookDelivery.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    return list(
        WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, claimed_at__isnull=True, attempts=0)
        .filter(event_key__in=[r.event_key for r in rows])
        .values_list("id", flat=True)
    ) if rows else []


LICENCE_CREATED_LOOKBACK = dt.timedelta(days=7)


def _licence_created_rows(endpoint: WebhookEndpoint) -> list[WebhookDelivery]:
    """licence.created for licences made since the endpoint exists (at most a week back) and
    not yet sent to it: the signal only wakes us, the table is the record."""
    since = max(endpoint.created_at, timezone.now() - LICENCE_CREATED_LOOKBACK)
    key = Concat(Value("licence.created:"), Cast("pk", CharField()), output_field=CharField())
    qs = (
        Licence.objects.filter(created_at__gte=since)
        .annotate(event_key=key)
        .filter(~Exists(WebhookDelivery.objects.filter(endpoint=endpoint, event_key=OuterRef("event_key"))))
    )
    rows = []
    for lic in qs.select_related("supplier").prefetch_related("lines__item"):
        key = f"licence.created:{lic.pk}"
        data = {"licence": {
            "id": lic.pk, "number": lic.number, "application": lic.application_id, "supplier": lic.supplier_id,
            "kind": lic.kind, "valid_from": lic.valid_from, "valid_until": lic.valid_until, "status": lic.status,
            "lines": [{"item": line.item.code, "approved_quantity": str(line.approved_quantity), "unit": line.unit}
                      for line in lic.lines.all()]}}
        rows.append(WebhookDelivery(endpoint=endpoint, event_type="licence.created", event_key=key,
                                    body=_event_body("licence.created", key, data)))
    return rows


@transaction.atomic
def webhook_endpoint_save(*, endpoint: WebhookEndpoint | None = None, actor=None, **fields: Any) -> WebhookEndpoint:
    """Create or change an endpoint; re-activating one resets its failure count."""
    endpoint = endpoint or WebhookEndpoint(created_by=actor if getattr(actor, "is_authenticated", False) else None)
    events = fields.get("events")
    if events is not None:
        bad = [e for e in events if e not in WEBHOOK_EVENT_TYPES]
        if bad:
            known = ", ".join(WEBHOOK_EVENT_TYPES)
            raise field_error("events", f"Unknown event types: {', '.join(bad)}. Known: {known}.")
    if "url" in fields:
        from .transports.webhook import UnsafeUrl, url_check

        try:
            url_check(fields["url"])
        except UnsafeUrl as exc:
            raise field_error("url", str(exc), code="unsafe_url") from exc
    reactivated = fields.get("active") and not endpoint.active
    for name, value in fields.items():
        setattr(endpoint, name, value)
    if reactivated:
        endpoint.consecutive_failures = 0
        endpoint.disabled_reason = ""
    endpoint.full_clean()
    endpoint.save()
    return endpoint


# --- Claims (claim before you act) ------------------------------------------------------------


def _stale() -> dt.datetime:
    return timezone.now() - dt.timedelta(seconds=settings.ALERT_CLAIM_TIMEOUT)


def claimable_q() -> Q:
    """Pending, or claimed by a sender that must be dead (longer than any send may take)."""
    return Q(status=DeliveryStatus.PENDING) | Q(status=DeliveryStatus.SENDING, claimed_at__lt=_stale())


def delivery_claim(delivery_id: int, token: str) -> bool:
    """pending -> sending, only if nobody else holds it: True when this caller won the row."""
    return bool(
        Delivery.objects.filter(claimable_q(), pk=delivery_id, mode=Mode.IMMEDIATE).update(
            status=DeliveryStatus.SENDING, claimed_at=timezone.now(), claim=token, attempts=F("attempts") + 1
        )
    )


def deliveries_claim(delivery_ids: list[int], token: str) -> list[Delivery]:
    """Claim a batch, each row by itself (pending -> sending under ``token``), in one UPDATE,
    then load the rows this caller won with their alert and user in one query: two queries
    whatever the batch's size. A row sent already or held by a live sender is not returned."""
    now = timezone.now()
    Delivery.objects.filter(claimable_q(), pk__in=delivery_ids, mode=Mode.IMMEDIATE).update(
        status=DeliveryStatus.SENDING, claimed_at=now, claim=token, attempts=F("attempts") + 1
    )
    return list(
        Delivery.objects.filter(pk__in=delivery_ids, claim=token, status=DeliveryStatus.SENDING)
        .select_related("alert", "user").order_by("id")
    )


def deliveries_held_elsewhere(delivery_ids: list[int], token: str) -> list[int]:
    """Of these rows, those another sender (perhaps a dead one) holds: to look at again once
    its claim may have gone stale."""
    return list(
        Delivery.objects.filter(pk__in=delivery_ids, status=DeliveryStatus.SENDING)
        .exclude(claim=token).values_list("id", flat=True)
    )


def deliveries_renew_claim(token: str) -> int:
    """A live sender still holds its rows: their claim is dated now again, so a batch slower
    than ALERT_CLAIM_TIMEOUT is not taken over while it sends."""
    return Delivery.objects.filter(claim=token, status=DeliveryStatus.SENDING).update(claimed_at=timezone.now())


def delivery_sent(delivery_id: int, token: str) -> bool:
    """One message the SMTP server accepted, marked sent if this caller still holds it.
    ``deliver_emails`` calls it after each accepted message, so a kill repeats at most one. One
    parameterised statement rather than a queryset: on this path, once per email, the ORM's
    query compiler cost four times the statement itself (1.6 ms against 0.4 ms a call, measured
    on the benchmark machine: docs/benchmarks.md)."""
    table = connection.ops.quote_name(Delivery._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET status = %s, sent_at = %s, last_error = '' "
            "WHERE id = %s AND claim = %s AND status = %s",
            [DeliveryStatus.SENT, connection.ops.adapt_datetimefield_value(timezone.now()), delivery_id, token,
             DeliveryStatus.SENDING],
        )
        return cursor.rowcount == 1


def backoff_seconds(attempts: int) -> int:
    """Exponential backoff from ALERT_RETRY_BASE, capped at ALERT_RETRY_MAX."""
    return min(settings.ALERT_RETRY_BASE * 2 ** max(attempts - 1, 0), settings.ALERT_RETRY_MAX)


def _outcome(model, pk: int, token: str, *, ok: bool, permanent: bool, error: str, attempts: int, **extra) -> str:
    """Record a send's outcome on the row this caller still holds; returns the new status."""
    now = timezone.now()
    if ok:
        status, fields = DeliveryStatus.SENT, {"sent_at": now, "last_error": ""}
    elif permanent or attempts > settings.ALERT_MAX_RETRIES:
        status, fields = DeliveryStatus.FAILED, {"last_error": error[:2000]}
    else:
        status = DeliveryStatus.PENDING
        fields = {"last_error": error[:2000], "next_attempt_at": now + dt.timedelta(seconds=backoff_seconds(attempts))}
    model.objects.filter(pk=pk, claim=token).update(status=status, **fields, **extra)
    return status


def delivery_finish(delivery: Delivery, token: str, *, ok: bool, permanent: bool = False, error: str = "") -> str:
    return _outcome(Delivery, delivery.pk, token, ok=ok, permanent=permanent, error=error,
                    attempts=delivery.attempts)


def webhook_claim(delivery_id: int, token: str) -> bool:
    return bool(
        WebhookDelivery.objects.filter(claimable_q(), pk=delivery_id, endpoint__active=True).update(
            status=DeliveryStatus.SENDING, claimed_at=timezone.now(), claim=token, attempts=F("attempts") + 1
        )
    )


@transaction.atomic
def webhook_finish(
    delivery: WebhookDelivery, token: str, *, ok: bool, permanent: bool = False, error: str = "",
    response_code: int | None = None,
) -> str:
    """Record the outcome; N deliveries in a row that failed for good disable the endpoint."""
    status = _outcome(WebhookDelivery, delivery.pk, token, ok=ok, permanent=permanent, error=error,
                      attempts=delivery.attempts, response_code=response_code)
    endpoints = WebhookEndpoint.objects.filter(pk=delivery.endpoint_id)
    if status == DeliveryStatus.SENT:
        endpoints.update(consecutive_failures=0)
    elif status == DeliveryStatus.FAILED:
        endpoints.update(consecutive_failures=F("consecutive_failures") + 1)
        endpoints.filter(consecutive_failures__gte=settings.WEBHOOK_DISABLE_AFTER, active=True).update(
            active=False, disabled_reason=f"Disabled after {settings.WEBHOOK_DISABLE_AFTER} failed deliveries in a "
            f"row; last: {error[:200]}",
        )
    return status


def stuck_deliveries() -> tuple[list[int], list[int]]:
    """The sweeper's work: rows whose task was lost (never queued, or its worker died) and
    whose retry time has come. Queuing them again is harmless: the claim decides."""
    now = timezone.now()
    # A fresh row's task is probably still in the queue: give it a minute before re-queuing.
    grace = now - dt.timedelta(seconds=60)
    due = Q(next_attempt_at__isnull=True, created_at__lt=grace) | Q(next_attempt_at__lte=now)
    lost = Q(status=DeliveryStatus.PENDING) & due | Q(status=DeliveryStatus.SENDING, claimed_at__lt=_stale())
    emails = list(Delivery.objects.filter(lost, mode=Mode.IMMEDIATE).values_list("id", flat=True)[:10000])
    hooks = list(WebhookDelivery.objects.filter(lost, endpoint__active=True).values_list("id", flat=True)[:10000])
    return emails, hooks


# --- Digests ----------------------------------------------------------------------------------


def user_zone(pref: Preference | None) -> ZoneInfo:
    name = (pref.time_zone if pref else "") or settings.ALERT_DEFAULT_TIME_ZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def digest_due_users(now: dt.datetime | None = None) -> list[int]:
    """Users with digest deliveries waiting whose local digest hour has come today and who
    have not had today's digest yet."""
    now = now or timezone.now()
    waiting = set(
        Delivery.objects.filter(mode=Mode.DIGEST, status=DeliveryStatus.PENDING).values_list("user_id", flat=True)
    )
    prefs = {p.user_id: p for p in Preference.objects.filter(user_id__in=waiting)}
    due = []
    for user_id in sorted(waiting):
        pref = prefs.get(user_id)
        local = now.astimezone(user_zone(pref))
        hour = pref.digest_hour if pref and pref.digest_hour is not None else settings.ALERT_DIGEST_HOUR
        if local.hour >= hour and not (pref and pref.last_digest_on and pref.last_digest_on >= local.date()):
            due.append(user_id)
    return due


def digest_claim(
    user_id: int, token: str, now: dt.datetime | None = None, *, left_behind_only: bool = False
) -> list[Delivery]:
    """Claim the rows of a user's digest, each row by itself (``claim``, ``claimed_at``), as
    immediate deliveries are claimed; empty when there is nothing for this caller to send.

    Two kinds of row are claimed:
    - rows a dead digest left behind (``sending`` with a stale claim): they were due when that
      digest claimed them, so a redelivered task or the sweeper sends them whatever the day;
    - pending rows, only when this call wins today's digest: a conditional UPDATE on
      ``Preference.last_digest_on``, so two runs on the same day cannot both send them.
    ``left_behind_only`` (the sweeper's call, at any hour) claims the first kind alone, so that
    recovering a dead digest never sends today's before the user's digest time.
    """
    now = now or timezone.now()
    if not get_user_model().objects.filter(pk=user_id).exists():
        return []  # deleted after its digest was queued: its rows went with it
    pref, _ = Preference.objects.get_or_create(user_id=user_id)
    local_date = now.astimezone(user_zone(pref)).date()
    won = not left_behind_only and Preference.objects.filter(pk=pref.pk).filter(
        Q(last_digest_on__isnull=True) | Q(last_digest_on__lt=local_date)
    ).update(last_digest_on=local_date)
    claimable = Q(status=DeliveryStatus.SENDING, claimed_at__lt=_stale())
    if won:
        claimable |= Q(status=DeliveryStatus.PENDING)
    Delivery.objects.filter(claimable, user_id=user_id, mode=Mode.DIGEST).update(
        status=DeliveryStatus.SENDING, claimed_at=timezone.now(), claim=token, attempts=F("attempts") + 1
    )
    return list(
        Delivery.objects.filter(claim=token, status=DeliveryStatus.SENDING)
        .select_related("alert", "user").order_by("id")
    )


def digest_finish(user_id: int, token: str, *, ok: bool, permanent: bool = False, error: str = "") -> None:
    """Record the digest's outcome on the rows this caller still holds. Sent only once the SMTP
    server accepted the message; a temporary failure hands the day back so the next run retries."""
    rows = Delivery.objects.filter(claim=token, status=DeliveryStatus.SENDING)
    if ok:
        rows.update(status=DeliveryStatus.SENT, sent_at=timezone.now(), last_error="")
    elif permanent:
        rows.update(status=DeliveryStatus.FAILED, last_error=error[:2000])
    else:
        rows.update(status=DeliveryStatus.PENDING, last_error=error[:2000])
        Preference.objects.filter(user_id=user_id).update(last_digest_on=None)


def stuck_digests() -> list[int]:
    """Users whose digest rows were left ``sending`` by a dead worker (claim stale): the
    sweeper queues their digest again, and ``digest_claim`` hands those rows to it."""
    return list(
        Delivery.objects.filter(mode=Mode.DIGEST, status=DeliveryStatus.SENDING, claimed_at__lt=_stale())
        .order_by("user_id").values_list("user_id", flat=True).distinct()[:10000]
    )


# --- Alerts to one person -----------------------------------------------------------------------


def alert_user(
    *, user, kind: str, subject_type: str, subject_id: int, threshold: str, message: str,
    severity: str = Severity.INFO, url: str = "", context: dict | None = None,
) -> list[int]:
    """One alert for one user (e.g. an application's owner hearing of a supplier's report),
    deduplicated like every alert, delivered by email unless the user turned the kind off.
    Returns the immediate deliveries to send (the caller queues them on commit)."""
    alert = Alert(
        kind=kind, subject_type=subject_type, subject_id=subject_id, threshold=threshold, message=message,
        severity=severity, url=url, context=context or {}, alerted_on=clock.today(), batch=uuid.uuid4(),
    )
    Alert.objects.bulk_create([alert], ignore_conflicts=True)
    created = list(Alert.objects.filter(batch=alert.batch))
    if not created:
        return []
    prefs = Preference.objects.filter(user=user).values_list("kinds", flat=True).first() or {}
    mode = prefs.get(kind, Mode.IMMEDIATE)
    if mode == "off":
        return []
    delivery = Delivery.objects.create(alert=created[0], user=user, mode=mode)
    return [delivery.pk] if mode == Mode.IMMEDIATE else []
