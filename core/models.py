from django.conf import settings
from django.db import models
from django.db.models import Q

from .errors import register_constraint
from .validators import validate_single_line


class TimestampedModel(models.Model):
    """created_at/updated_at on every model an ERP syncs; updated_at serves ``updated_since``."""

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        abstract = True


class ExternalRefModel(TimestampedModel):
    """An ERP's own key for the row: unique when set, blank when the row was made here."""

    external_ref = models.CharField(
        max_length=100, blank=True, default="", help_text="The ERP's key for this record; unique when set.",
        validators=[validate_single_line],
    )

    class Meta:
        abstract = True


def field_check(*, condition: Q, name: str, field: str, message: str) -> models.CheckConstraint:
    """A CheckConstraint whose violation reads in plain words and belongs to ``field``
    (core.errors: the same message from full_clean and from the database)."""
    register_constraint(name, field=field, message=message)
    return models.CheckConstraint(
        condition=condition, name=name, violation_error_code=name, violation_error_message=message
    )


def field_unique(
    *, fields: list[str], name: str, field: str, message: str, condition: Q | None = None
) -> models.UniqueConstraint:
    """A UniqueConstraint whose violation reads in plain words and belongs to ``field``."""
    register_constraint(name, field=field, message=message, unique=True)
    return models.UniqueConstraint(
        fields=fields, condition=condition, name=name, violation_error_code=name, violation_error_message=message
    )


EXTERNAL_REF_TAKEN = "Another record has this external reference (your ERP's key) already."


def unique_external_ref(name: str) -> models.UniqueConstraint:
    """The partial unique constraint behind upserts by ERP key (blank values may repeat)."""
    return field_unique(
        fields=["external_ref"], condition=~Q(external_ref=""), name=name, field="external_ref",
        message=EXTERNAL_REF_TAKEN,
    )


class ApiKey(models.Model):
    """A key per ERP integration (docs/architecture.md#api). Only a SHA-256 of the key is stored: the key is
    shown once, at creation, and a leaked database does not leak usable keys."""

    class Scope(models.TextChoices):
        READ = "read", "Read only"
        WRITE = "write", "Read and write"

    name = models.CharField(max_length=100, unique=True, help_text="The integration, e.g. 'sap-prod'.")
    prefix = models.CharField(max_length=16, editable=False, help_text="The key's first characters, to recognise it.")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    scope = models.CharField(max_length=5, choices=Scope.choices, default=Scope.READ)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Refreshed at most once a minute (core.api.keys.api_key_touch) so that use costs no write per request.
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def can_write(self) -> bool:
        return self.scope == self.Scope.WRITE


class IdempotencyRecord(models.Model):
    """The first answer to a POST with an ``Idempotency-Key`` header, replayed for repeats.

    ``response_status`` is 0 while the first request is still running. Kept at least 24 hours
    (``core.api.idempotency.idempotency_records_purge``).
    """

    api_key = models.ForeignKey(ApiKey, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(max_length=255)
    # method + path + SHA-256 of the body, hashed: a repeat must match it exactly.
    fingerprint = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(default=0)
    response_body = models.JSONField(null=True, blank=True)
    # The first answer's ETag, replayed with it (a client reads the version from the replay too).
    response_etag = models.CharField(max_length=80, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["api_key", "key"], condition=Q(api_key__isnull=False), name="idempotency_unique_per_api_key"
            ),
            models.UniqueConstraint(
                fields=["user", "key"], condition=Q(user__isnull=False), name="idempotency_unique_per_user"
            ),
        ]

    def __str__(self) -> str:
        return self.key


class Tombstone(models.Model):
    """A synced record that was deleted: the deletions feed (``GET /api/v1/deletions/``) that
    lets an ERP paging ``updated_since`` lists learn which rows to drop on its side. Written by
    a ``post_delete`` receiver for every ``TimestampedModel``, whichever door deleted the row
    (API, UI, admin, a cascade). ``updated_at`` is the deletion instant: the feed pages by the
    same ``(updated_at, id)`` cursor as every sync list."""

    model = models.CharField(max_length=100, help_text="The record's kind: supplier, purchaseorder, shipment, ...")
    object_id = models.BigIntegerField(help_text="The deleted record's id.")
    external_ref = models.CharField(max_length=100, blank=True, default="")
    updated_at = models.DateTimeField(help_text="When the record was deleted.")

    class Meta:
        ordering = ["updated_at", "id"]
        indexes = [models.Index(fields=["updated_at", "id"], name="tombstone_sync_order")]

    def __str__(self) -> str:
        return f"{self.model} {self.object_id}"


class ThrottleCounter(models.Model):
    """Requests counted per throttle key and window, when no Redis is configured: counted with
    one INSERT ... ON CONFLICT DO UPDATE (the row locked while it counts) so that concurrent
    requests cannot both read the same count."""

    key = models.CharField(max_length=200, unique=True)
    period = models.BigIntegerField(help_text="The window's number (epoch seconds // duration).")
    count = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"
