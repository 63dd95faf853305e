"""Deletions for the ERP's sync: a ``Tombstone`` row for every synced record deleted.

An ERP that mirrors the lists by ``updated_since`` never sees a deleted row again, so it would
keep it for ever; the deletions feed (``GET /api/v1/deletions/``) tells it what to drop.
"""

from __future__ import annotations

from django.apps import apps
from django.db.models.signals import post_delete
from django.utils import timezone

from core.models import TimestampedModel, Tombstone


def tombstone_record(sender, instance, **kwargs) -> None:
    """post_delete: record the deletion in the deleting transaction (so a rollback drops it)."""
    Tombstone.objects.create(
        model=sender._meta.model_name,
        object_id=instance.pk,
        external_ref=getattr(instance, "external_ref", "") or "",
        updated_at=timezone.now(),
    )


def tombstones_connect() -> None:
    """Connect the receiver per synced model (not for every sender: a receiver for all models
    would turn off Django's fast deletes of unrelated tables)."""
    for model in apps.get_models():
        if issubclass(model, TimestampedModel):
            post_delete.connect(tombstone_record, sender=model, dispatch_uid=f"tombstone-{model._meta.label_lower}")
