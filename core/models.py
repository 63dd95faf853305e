from django.db import models
from django.db.models import Q


class TimestampedModel(models.Model):
    """created_at/updated_at on every model an ERP syncs; updated_at serves ``updated_since``."""

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        abstract = True


class ExternalRefModel(TimestampedModel):
    """An ERP's own key for the row: unique when set, blank when the row was made here."""

    external_ref = models.CharField(
        max_length=100, blank=True, default="", help_text="The ERP's key for this record; unique when set."
    )

    class Meta:
        abstract = True


def unique_external_ref(name: str) -> models.UniqueConstraint:
    """The partial unique constraint behind upserts by ERP key (blank values may repeat)."""
    return models.UniqueConstraint(fields=["external_ref"], condition=~Q(external_ref=""), name=name)
