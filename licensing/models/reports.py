"""Steps a supplier contact reports through the supplier portal (docs/supplier-portal.md).

A report is held until procurement confirms it (or applied at once when the supplier's
``portal_apply_reports`` is set); applying it goes through ``application_transition`` like
any other step, so the timeline event it makes points back here.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from core import validators as v

from .applications import ApplicationStatus


class ReportStatus(models.TextChoices):
    HELD = "held", "Held for confirmation"
    APPLIED = "applied", "Applied"
    REJECTED = "rejected", "Rejected"


class SupplierReport(models.Model):
    application = models.ForeignKey(
        "licensing.LicenceApplication", on_delete=models.CASCADE, related_name="supplier_reports"
    )
    contact = models.ForeignKey("suppliers.SupplierContact", on_delete=models.PROTECT, related_name="reports")
    to_status = models.CharField(max_length=25, choices=ApplicationStatus.choices)
    on = models.DateField()
    mofcom_number = models.CharField(max_length=100, blank=True, validators=v.SINGLE_LINE)
    note = models.TextField(blank=True, validators=v.MULTILINE)
    # Codes of the checklist kinds MOFCOM asked for again (a supplement request).
    requested_kinds = models.JSONField(default=list, blank=True)
    # For an approval: {"number", "valid_from", "valid_until", "lines": [{"item", "quantity", "unit"}]}.
    licence = models.JSONField(null=True, blank=True)
    scan = models.ForeignKey("licensing.Document", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=10, choices=ReportStatus.choices, default=ReportStatus.HELD)
    created_at = models.DateTimeField(auto_now_add=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reject_reason = models.TextField(blank=True, validators=v.MULTILINE)
    event = models.ForeignKey(
        "licensing.ApplicationEvent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_at"], name="report_held_idx", condition=Q(status="held"))]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.to_status} on {self.on} ({self.status})"


class SupplierMessage(models.Model):
    """A message or a document a supplier contact sends about one application without
    reporting a step: a question, an answer to procurement, or a paper for the open supplement
    request or for one checklist item (``regarding``). Shown on the application page; the
    owner is alerted (``portal.services``)."""

    SUPPLEMENT = "supplement"  # ``regarding``: the application's open supplement request

    application = models.ForeignKey(
        "licensing.LicenceApplication", on_delete=models.CASCADE, related_name="supplier_messages"
    )
    contact = models.ForeignKey("suppliers.SupplierContact", on_delete=models.PROTECT, related_name="messages")
    text = models.TextField(blank=True, validators=v.MULTILINE)
    document = models.ForeignKey(
        "licensing.Document", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # "" (a message), "supplement" (the open supplement request) or a checklist kind's code.
    regarding = models.CharField(max_length=60, blank=True, validators=v.SINGLE_LINE)
    created_at = models.DateTimeField(auto_now_add=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.application_id}: message from {self.contact_id}"
