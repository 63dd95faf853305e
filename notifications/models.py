"""The outbox of docs/architecture.md#delivery-guarantees: alerts (one per deduplication key),
deliveries (one per recipient and channel, with a state machine), user preferences, webhook endpoints
and their delivery log."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.roles import Role


class Kind(models.TextChoices):
    DECISION_DUE_SOON = "decision_due_soon", "Decision due soon"
    DECISION_OVERDUE = "decision_overdue", "Decision overdue"
    SUPPLEMENT_REQUESTED = "supplement_requested", "Supplement requested"
    ACCEPTANCE_PENDING = "acceptance_pending", "Acceptance pending"
    CUSTOMS_RESPONSE_DUE = "customs_response_due", "Customs response due"
    CUSTOMS_ANSWER_OVERDUE = "customs_answer_overdue", "Customs answer overdue"
    STATUS_CHANGED = "status_changed", "Application status changed"
    LICENCE_EXPIRING = "licence_expiring", "Licence expiring"
    LICENCE_LOW_BALANCE = "licence_low_balance", "Licence balance low"
    SHIPMENT_AFTER_EXPIRY = "shipment_after_expiry", "Shipment after licence expiry"
    SHIPMENT_LATE = "shipment_late", "Shipment late"
    PO_AT_RISK = "po_at_risk", "Purchase order at risk"
    POLICY_EVENT_UPCOMING = "policy_event_upcoming", "Policy event upcoming"
    POLICY_EVENT_IMPACT = "policy_event_impact", "Policy event touches open items"
    DOCUMENT_EXPIRING = "document_expiring", "Document expiring"
    SUPPLIER_REPORT = "supplier_report", "Step reported by a supplier"
    SUPPLIER_MESSAGE = "supplier_message", "Message or document from a supplier"
    CUSTOMS_ANSWER = "customs_answer", "Customs hold answered by a supplier"
    POLICY_REVIEW_DUE = "policy_review_due", "Policy calendar review due"


class SubjectType(models.TextChoices):
    APPLICATION = "application", "Application"
    LICENCE = "licence", "Licence"
    LICENCE_LINE = "licence_line", "Licence line"
    SHIPMENT = "shipment", "Shipment"
    PURCHASE_ORDER = "purchase_order", "Purchase order"
    POLICY_EVENT = "policy_event", "Policy event"
    DOCUMENT = "document", "Document"
    POLICY_CALENDAR = "policy_calendar", "Policy calendar"  # the calendar as a whole: subject_id 0


class Severity(models.TextChoices):
    INFO = "info", "Info"
    WARNING = "warning", "Warning"
    CRITICAL = "critical", "Critical"


# Each kind's severity (docs/alerts.md, "Severity and default delivery"): critical is what
# costs money or breaks the law if nobody acts today; warning needs action this week; info is
# worth knowing. An alert may be raised above its kind's severity when its deadline is close
# (a decision due tomorrow is critical), never below it.
KIND_SEVERITY: dict[str, str] = {
    Kind.DECISION_OVERDUE: Severity.CRITICAL,
    Kind.SHIPMENT_AFTER_EXPIRY: Severity.CRITICAL,
    Kind.CUSTOMS_RESPONSE_DUE: Severity.CRITICAL,
    Kind.CUSTOMS_ANSWER_OVERDUE: Severity.CRITICAL,
    Kind.DECISION_DUE_SOON: Severity.WARNING,
    Kind.SUPPLEMENT_REQUESTED: Severity.WARNING,
    Kind.ACCEPTANCE_PENDING: Severity.WARNING,
    Kind.LICENCE_EXPIRING: Severity.WARNING,
    Kind.LICENCE_LOW_BALANCE: Severity.WARNING,
    Kind.SHIPMENT_LATE: Severity.WARNING,
    Kind.PO_AT_RISK: Severity.WARNING,
    Kind.DOCUMENT_EXPIRING: Severity.WARNING,
    Kind.STATUS_CHANGED: Severity.INFO,
    Kind.POLICY_EVENT_UPCOMING: Severity.INFO,
    # Raised to critical by the scan when a pending shipment or a listed item is touched.
    Kind.POLICY_EVENT_IMPACT: Severity.WARNING,
    Kind.SUPPLIER_REPORT: Severity.WARNING,
    Kind.SUPPLIER_MESSAGE: Severity.INFO,
    # The customs window is 7 working days: the answer must be checked and sent on this week.
    Kind.CUSTOMS_ANSWER: Severity.WARNING,
    Kind.POLICY_REVIEW_DUE: Severity.WARNING,
}
# Kinds only some people act on: delivered only to users holding this role or a higher one
# (the others go to everyone holding a role who has not turned them off).
KIND_ROLES: dict[str, str] = {
    Kind.POLICY_REVIEW_DUE: Role.COMPLIANCE,
}
SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}

# Kinds a new user receives without asking: all but the noisy status_changed (docs/architecture.md#alerts).
# Of the others, a user who has not chosen gets critical alerts at once and the rest in the
# daily digest (``default_mode``).
DEFAULT_OFF_KINDS = frozenset({Kind.STATUS_CHANGED})


def default_mode(kind: str, severity: str) -> str:
    """The delivery a user who has not chosen gets: off, immediate (critical) or digest."""
    if kind in DEFAULT_OFF_KINDS:
        return "off"
    return "immediate" if severity == Severity.CRITICAL else "digest"


class Alert(models.Model):
    """Something due that people must hear about, exactly once per deduplication key.

    The key is (kind, subject_type, subject_id, threshold); ``threshold`` is a string built
    from the lead and the date it refers to (``"5@2025-12-04"``), so a moved deadline is
    alerted afresh while a repeated scan, a second beat or a scan after downtime inserts
    nothing (``bulk_create(ignore_conflicts=True)`` against the unique constraint).
    """

    kind = models.CharField(max_length=30, choices=Kind.choices)
    subject_type = models.CharField(max_length=20, choices=SubjectType.choices)
    subject_id = models.BigIntegerField()
    threshold = models.CharField(max_length=60)
    # The lead (days or working days before the date) and the date alerted about; the scan's
    # NOT EXISTS filters compare on these columns, so nothing already alerted is loaded.
    lead = models.IntegerField(null=True, blank=True)
    due_on = models.DateField(null=True, blank=True)
    alerted_on = models.DateField(help_text="The scan's date (China), for weekly reminders.")
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.WARNING)
    message = models.TextField()
    url = models.CharField(max_length=200, blank=True, help_text="Path of the object, e.g. /applications/7/.")
    context = models.JSONField(default=dict, blank=True)
    # The scan run that inserted the row: tells a scan which rows *it* created, since
    # ignore_conflicts hides which inserts happened.
    batch = models.UUIDField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject_type", "subject_id", "threshold"], name="alert_dedup_key"
            )
        ]
        indexes = [
            # The scan's NOT EXISTS probes: (kind, subject) first.
            models.Index(fields=["kind", "subject_type", "subject_id"], name="alert_subject_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject_type}:{self.subject_id} [{self.threshold}]"


class Channel(models.TextChoices):
    EMAIL = "email", "Email"


class Mode(models.TextChoices):
    IMMEDIATE = "immediate", "Immediately"
    DIGEST = "digest", "In the daily digest"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class Delivery(models.Model):
    """One alert to one person on one channel: pending -> sending -> sent | failed.

    A sender claims the row with a conditional UPDATE (pending -> sending) and sends only if
    it changed one row, so a re-delivered task is a no-op once the row is sent.
    """

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="deliveries")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_deliveries")
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.IMMEDIATE)
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim = models.CharField(max_length=32, blank=True, help_text="Token of the sender (or digest) holding it.")
    # When a retry is due; the sweeper leaves rows alone until then, so backoff holds.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "deliveries"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["alert", "user", "channel"], name="delivery_one_per_recipient_channel")
        ]
        indexes = [
            # The sweeper and the digest: unsent rows only.
            models.Index(
                fields=["status", "mode", "user"], name="delivery_unsent_idx", condition=~Q(status="sent")
            ),
            models.Index(fields=["user", "-created_at"], name="delivery_inbox_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.alert_id} -> {self.user_id} ({self.channel}, {self.status})"


def new_token() -> str:
    return secrets.token_urlsafe(32)


class Preference(models.Model):
    """A user's notification settings; a user without a row gets the defaults."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_preference")
    # {kind: "immediate" | "digest" | "off"}; a missing kind takes the default.
    kinds = models.JSONField(default=dict, blank=True)
    # {kind: [lead, ...]} overriding ALERT_LEAD_TIMES for this user.
    lead_times = models.JSONField(default=dict, blank=True)
    time_zone = models.CharField(max_length=64, default="", blank=True)
    digest_hour = models.PositiveSmallIntegerField(null=True, blank=True)
    ics_token = models.CharField(max_length=64, unique=True, default=new_token)
    last_digest_on = models.DateField(null=True, blank=True, help_text="Local date of the last digest sent.")

    def __str__(self) -> str:
        return f"Preferences of {self.user_id}"


class WebhookEndpoint(models.Model):
    """An ERP's URL that receives signed JSON events (docs/architecture.md#delivery-guarantees)."""

    name = models.CharField(max_length=100)
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=100, default=new_token)
    # Event types to send ("application.status_changed", ...); empty: all of them.
    events = models.JSONField(default=list, blank=True)
    active = models.BooleanField(default=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def wants(self, event_type: str) -> bool:
        return not self.events or event_type in self.events


class WebhookDelivery(models.Model):
    """One event to one endpoint: the delivery log, with the same claim-before-send states."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_type = models.CharField(max_length=60)
    # Unique per endpoint: the same event (e.g. "application.status_changed:42") goes once.
    event_key = models.CharField(max_length=120)
    body = models.TextField(help_text="The exact JSON sent (and signed).")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim = models.CharField(max_length=32, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    response_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["endpoint", "event_key"], name="webhook_delivery_once")]
        indexes = [
            models.Index(fields=["status"], name="webhook_unsent_idx", condition=~Q(status="sent")),
        ]

    def __str__(self) -> str:
        return f"{self.event_key} -> {self.endpoint_id} ({self.status})"


class ScanWatermark(models.Model):
    """How far a scan's incremental checks have looked (licence_low_balance and
    shipment_after_expiry): the start of the last scan that completed them, written in the
    same transaction as that scan's alerts, so an interrupted scan leaves it where it was and
    the next one looks at the same changes again. ``params`` holds what the checks depended
    on (the low-balance share): when it differs, the next scan checks every row."""

    name = models.CharField(max_length=50, unique=True)
    scanned_at = models.DateTimeField()
    params = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"{self.name} @ {self.scanned_at:%Y-%m-%d %H:%M:%S}"
