from django.conf import settings
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from core import validators as v
from core.models import ExternalRefModel, field_check, field_unique, unique_external_ref

from .applications import LicenceKind
from .items import Unit


class LicenceStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    EXHAUSTED = "exhausted", "Exhausted"
    EXPIRED = "expired", "Expired"
    REVOKED = "revoked", "Revoked"


class Licence(ExternalRefModel):
    """An export licence MOFCOM granted; shipments draw down its lines (docs/architecture.md#drawdown)."""

    number = models.CharField(max_length=100, unique=True, validators=v.SINGLE_LINE)
    application = models.ForeignKey(
        "licensing.LicenceApplication", null=True, blank=True, on_delete=models.SET_NULL, related_name="licences"
    )
    supplier = models.ForeignKey("suppliers.Supplier", on_delete=models.PROTECT, related_name="licences")
    kind = models.CharField(max_length=10, choices=LicenceKind.choices, default=LicenceKind.SINGLE)
    valid_from = models.DateField(validators=v.DATE)
    valid_until = models.DateField(validators=v.DATE)
    # active/exhausted/expired are kept in step by the services (drawdown, expiry sweep);
    # revoked is set by a person and stays.
    status = models.CharField(max_length=10, choices=LicenceStatus.choices, default=LicenceStatus.ACTIVE)
    notes = models.TextField(blank=True, max_length=v.TEXT_MAX, validators=v.MULTILINE)
    history = HistoricalRecords()

    class Meta:
        ordering = ["valid_until", "id"]
        constraints = [
            unique_external_ref("licence_unique_external_ref"),
            field_check(condition=Q(valid_from__lte=F("valid_until")), name="licence_valid_range", field="valid_until",
                        message="The licence cannot end before it starts."),
        ]
        indexes = [
            # licence_expiring and the suggestion rule: active licences by expiry.
            models.Index(fields=["valid_until"], name="licence_active_expiry_idx", condition=Q(status="active")),
            models.Index(fields=["supplier", "status", "valid_until"], name="licence_supplier_idx"),
        ]

    def __str__(self) -> str:
        return self.number


class LicenceLine(models.Model):
    licence = models.ForeignKey(Licence, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey("licensing.ControlledItem", on_delete=models.PROTECT, related_name="+")
    approved_quantity = models.DecimalField(max_digits=18, decimal_places=3)
    unit = models.CharField(max_length=5, choices=Unit.choices, default=Unit.KG)
    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        constraints = [
            field_unique(fields=["licence", "item"], name="licence_line_one_per_item", field="item",
                         message="This licence has a line for this item already: change its quantity instead."),
            field_check(condition=Q(approved_quantity__gt=0), name="licence_line_quantity_positive",
                        field="approved_quantity", message="Give a quantity above zero."),
        ]

    def __str__(self) -> str:
        return f"{self.licence_id}: {self.approved_quantity} {self.unit} {self.item_id}"


class LicenceEvent(models.Model):
    """One status change of a licence (issued, exhausted, active again, expired, revoked,
    reinstated): its timeline on the licence page, written by ``licensing.services.licences_set_status`` only."""

    licence = models.ForeignKey(Licence, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=10, choices=LicenceStatus.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=LicenceStatus.choices)
    on = models.DateField(help_text="The day the change took effect.", validators=v.DATE)
    reason = models.CharField(max_length=200, blank=True, validators=v.SINGLE_LINE)
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["recorded_at", "id"]

    def __str__(self) -> str:
        return f"{self.licence_id}: {self.from_status or '-'} -> {self.to_status} on {self.on}"
