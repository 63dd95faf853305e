import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from core import validators as v
from core.models import field_check


def document_path(instance: "Document", filename: str) -> str:
    # A random name: the original name is kept in a column, never trusted as a path.
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"documents/{instance.uploaded_at:%Y/%m}/{uuid.uuid4().hex}.{suffix}"


class Document(models.Model):
    """A file attached to one application or one licence, or (through ``shipments.ShipmentDocument``)
    to one shipment. Served only to users."""

    class Kind(models.TextChoices):
        END_USER_CERTIFICATE = "end_user_certificate", "End-user certificate"
        END_USE_STATEMENT = "end_use_statement", "End-use statement"
        CONTRACT = "contract", "Contract"
        LICENCE_COPY = "licence_copy", "Licence copy"
        SUPPLEMENT = "supplement", "Supplement"
        OTHER = "other", "Other"

    application = models.ForeignKey(
        "licensing.LicenceApplication", null=True, blank=True, on_delete=models.CASCADE, related_name="documents"
    )
    licence = models.ForeignKey(
        "licensing.Licence", null=True, blank=True, on_delete=models.CASCADE, related_name="documents"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    file = models.FileField(upload_to=document_path, max_length=200)
    original_name = models.CharField(max_length=255, validators=v.SINGLE_LINE)
    content_type = models.CharField(max_length=100, validators=v.SINGLE_LINE)
    size = models.PositiveIntegerField()
    valid_until = models.DateField(null=True, blank=True, validators=v.DATE)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        constraints = [
            field_check(
                # A shipment's documents have neither: their link row lives in the shipments app.
                condition=Q(application__isnull=True) | Q(licence__isnull=True),
                name="document_attached_to_at_most_one", field="licence",
                message="A document belongs to one application or one licence, not both.",
            )
        ]
        indexes = [models.Index(fields=["valid_until"], name="document_validity_idx")]

    def __str__(self) -> str:
        return self.original_name
