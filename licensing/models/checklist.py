"""The papers an application needs from the importer and its end user (docs/supplier-portal.md).

``ApplicationDocumentKind`` is reference data (``licensing/data/application_documents.csv``,
each row with its source); every application carries a ``ChecklistItem`` per kind the importer
or its end user provides, with its status, validity and file.
"""

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from core.models import field_unique


class ApplicationDocumentKind(models.Model):
    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=300)
    name_zh = models.CharField("Chinese name", max_length=300, blank=True)
    provided_by = models.CharField(max_length=100)
    chinese_translation = models.CharField("Chinese translation needed", max_length=40, blank=True)
    since = models.DateField(null=True, blank=True)
    source_title = models.CharField(max_length=300, blank=True)
    source_url = models.URLField(max_length=500, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.code

    @property
    def owed_by_importer(self) -> bool:
        """On the importer's checklist: papers the importer or its end user give the exporter."""
        return "importer" in self.provided_by or "end user" in self.provided_by


class ChecklistStatus(models.TextChoices):
    MISSING = "missing", "Missing"
    UPLOADED = "uploaded", "Uploaded"
    SHARED = "shared", "Shared with the supplier"
    ASKED_AGAIN = "asked_again", "Asked again by MOFCOM"


# Items the importer still owes: nothing uploaded yet, or MOFCOM asked for them again.
OWED_STATUSES = (ChecklistStatus.MISSING, ChecklistStatus.ASKED_AGAIN)


class ChecklistItem(models.Model):
    application = models.ForeignKey("licensing.LicenceApplication", on_delete=models.CASCADE, related_name="checklist")
    kind = models.ForeignKey(ApplicationDocumentKind, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=12, choices=ChecklistStatus.choices, default=ChecklistStatus.MISSING)
    document = models.ForeignKey(
        "licensing.Document", null=True, blank=True, on_delete=models.SET_NULL, related_name="checklist_items"
    )
    valid_until = models.DateField(null=True, blank=True)
    note = models.TextField(blank=True, help_text="What MOFCOM asked for, when it asked again.")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["kind_id"]
        constraints = [field_unique(
                fields=["application", "kind"], name="checklist_one_item_per_kind", field="kind",
                message="This application has a checklist item of this kind already.",
            )]
        indexes = [models.Index(fields=["status", "application"], name="checklist_status_idx")]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.kind_id} {self.status}"

    @property
    def owed(self) -> bool:
        return self.status in OWED_STATUSES
