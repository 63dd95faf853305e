from django.conf import settings
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from core import validators as v
from core.choices import TransportMode, Unit
from core.models import ExternalRefModel, field_check, unique_external_ref
from suppliers.models import PurchaseOrder, Supplier


class ShipmentStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    BOOKED = "booked", "Booked"
    IN_TRANSIT = "in_transit", "In transit"
    AT_CUSTOMS = "at_customs", "At customs"
    HELD = "held", "Held by customs"
    DELIVERED = "delivered", "Delivered"
    CANCELLED = "cancelled", "Cancelled"


# How a shipment's lines count against its licence (docs/architecture.md#drawdown).
RESERVING_STATUSES = frozenset({ShipmentStatus.PLANNED, ShipmentStatus.BOOKED})
USING_STATUSES = frozenset(
    {ShipmentStatus.IN_TRANSIT, ShipmentStatus.AT_CUSTOMS, ShipmentStatus.HELD, ShipmentStatus.DELIVERED}
)
PENDING_STATUSES = RESERVING_STATUSES | {ShipmentStatus.IN_TRANSIT, ShipmentStatus.AT_CUSTOMS, ShipmentStatus.HELD}


# Said by the database constraint, the services and the bulk API alike: one message whatever the door.
SHIPMENT_ETA_MESSAGE = "The ETA cannot be before the planned ship date (ETD)."


class Shipment(ExternalRefModel):
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="shipments")
    purchase_order = models.ForeignKey(
        PurchaseOrder, null=True, blank=True, on_delete=models.SET_NULL, related_name="shipments"
    )
    licence = models.ForeignKey(
        "licensing.Licence", null=True, blank=True, on_delete=models.PROTECT, related_name="shipments"
    )
    reference = models.CharField(
        max_length=100, help_text="Bill of lading or supplier reference.", validators=v.SINGLE_LINE
    )
    status = models.CharField(max_length=12, choices=ShipmentStatus.choices, default=ShipmentStatus.PLANNED)
    transport_mode = models.CharField(max_length=10, choices=TransportMode.choices, blank=True)
    planned_ship_date = models.DateField(null=True, blank=True, help_text="ETD.", validators=v.DATE)
    actual_ship_date = models.DateField(null=True, blank=True, validators=v.DATE)
    eta = models.DateField("ETA", null=True, blank=True, validators=v.DATE)
    arrived_on = models.DateField(null=True, blank=True, validators=v.DATE)
    held_on = models.DateField(
        null=True, blank=True, help_text="The day Chinese customs held the goods.", validators=v.DATE
    )
    customs_question = models.TextField(
        blank=True, help_text="What customs asked when it held the goods (the supplier sees it on the portal).",
        validators=v.MULTILINE,
    )
    # Kept in step by the services: the last day of the 7-working-day customs window.
    customs_response_due = models.DateField(null=True, blank=True, editable=False)
    # A compliance officer's recorded decision to let this shipment over-draw its licence.
    overdraw_override = models.BooleanField(default=False, editable=False)
    override_note = models.TextField(blank=True, editable=False)
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    notes = models.TextField(blank=True, max_length=v.TEXT_MAX, validators=v.MULTILINE)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-planned_ship_date", "-id"]
        constraints = [
            unique_external_ref("shipment_unique_external_ref"),
            field_check(
                condition=Q(eta__isnull=True) | Q(planned_ship_date__isnull=True) | Q(eta__gte=F("planned_ship_date")),
                name="shipment_eta_after_etd", field="eta",
                message=SHIPMENT_ETA_MESSAGE,
            ),
        ]
        indexes = [
            # shipment_late: undelivered shipments by ETA.
            models.Index(
                fields=["eta"],
                name="shipment_pending_eta_idx",
                condition=Q(status__in=["planned", "booked", "in_transit", "at_customs", "held"]),
            ),
            models.Index(fields=["customs_response_due"], name="shipment_held_due_idx", condition=Q(status="held")),
            models.Index(fields=["licence", "status"], name="shipment_licence_status_idx"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def ships_after_expiry(self) -> bool:
        """Planned to ship after its licence ends (derived, so it cannot drift from the licence)."""
        return bool(self.licence_id and self.planned_ship_date and self.planned_ship_date > self.licence.valid_until)


class ShipmentLine(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey("licensing.ControlledItem", on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(max_digits=18, decimal_places=3)
    unit = models.CharField(max_length=5, choices=Unit.choices, default=Unit.KG)
    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        constraints = [field_check(condition=Q(quantity__gt=0), name="shipment_line_quantity_positive",
                                   field="quantity", message="Give a quantity above zero.")]
        indexes = [models.Index(fields=["item", "shipment"], name="shipment_line_item_idx")]

    def __str__(self) -> str:
        return f"{self.quantity} {self.unit} {self.item_id}"


class ShipmentDocument(models.Model):
    """Links a stored ``licensing.Document`` to a shipment (bill of lading, customs answer...).

    The document row holds the file and its checks; this row says which shipment it belongs to,
    so the licensing schema never points up at shipments."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="document_links")
    document = models.OneToOneField("licensing.Document", on_delete=models.CASCADE, related_name="shipment_link")

    def __str__(self) -> str:
        return f"{self.shipment_id}: {self.document_id}"


class CustomsAnswerStatus(models.TextChoices):
    HELD = "held", "Held for confirmation"
    APPLIED = "applied", "Recorded"
    REJECTED = "rejected", "Rejected"


class CustomsAnswer(models.Model):
    """The answer to a customs hold (docs/architecture.md#customs-holds), recorded by procurement
    or sent by a supplier contact through the portal. A supplier's answer is held for
    procurement's confirmation unless the supplier's reports apply at once, like a MOFCOM step
    (``shipments.services.customs_answer_record``)."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="customs_answers")
    # The hold answered: a shipment held again later has a new question and a new window.
    held_on = models.DateField(validators=v.DATE)
    text = models.TextField(validators=v.MULTILINE)
    document = models.ForeignKey("licensing.Document", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    contact = models.ForeignKey("suppliers.SupplierContact", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="customs_answers")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    # "Li Wei (supplier)" or the user's name: who answered, as the timeline says it.
    answered_by = models.CharField(max_length=250, validators=v.SINGLE_LINE)
    status = models.CharField(max_length=10, choices=CustomsAnswerStatus.choices, default=CustomsAnswerStatus.HELD)
    created_at = models.DateTimeField(auto_now_add=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    reject_reason = models.TextField(blank=True, validators=v.MULTILINE)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_at"], name="customs_answer_held_idx", condition=Q(status="held"))]

    def __str__(self) -> str:
        return f"{self.shipment_id}: answer of {self.held_on} ({self.status})"
