from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from core import validators as v
from core.models import ExternalRefModel, field_check, unique_external_ref

from .items import TransportMode, Unit


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    DOCUMENTS_PENDING = "documents_pending", "Documents pending"
    SUBMITTED = "submitted", "Submitted"
    ACCEPTED = "accepted", "Accepted"
    SUPPLEMENT_REQUESTED = "supplement_requested", "Supplement requested"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"


S = ApplicationStatus
# The allowed moves (docs/architecture.md#workflow), kept as data next to the statuses.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    S.DRAFT: (S.DOCUMENTS_PENDING, S.SUBMITTED, S.WITHDRAWN),
    S.DOCUMENTS_PENDING: (S.SUBMITTED, S.WITHDRAWN),
    S.SUBMITTED: (S.ACCEPTED, S.REJECTED, S.WITHDRAWN),
    S.ACCEPTED: (S.SUPPLEMENT_REQUESTED, S.APPROVED, S.REJECTED, S.WITHDRAWN),
    S.SUPPLEMENT_REQUESTED: (S.ACCEPTED, S.REJECTED, S.WITHDRAWN),
    S.APPROVED: (),
    S.REJECTED: (),
    S.WITHDRAWN: (),
}
FINAL_STATUSES = frozenset({S.APPROVED, S.REJECTED, S.WITHDRAWN})
OPEN_STATUSES = frozenset(set(S) - FINAL_STATUSES)
# Statuses in which MOFCOM's statutory clock has started and no decision has come yet.
CLOCK_STATUSES = frozenset({S.ACCEPTED, S.SUPPLEMENT_REQUESTED})


class TimeLimitExemption(models.TextChoices):
    """Why the 45-working-day limit does not apply (then there is no due date)."""

    NONE = "", "The statutory limit applies"
    WATCH_LIST = "watch_list", "End user on MOFCOM's Watch List"
    STATE_COUNCIL = "state_council", "Referred to the State Council"


class LicenceKind(models.TextChoices):
    SINGLE = "single", "Single"
    GENERAL = "general", "General"


class LicenceApplication(ExternalRefModel):
    """An export-licence application a Chinese supplier files with MOFCOM for the importer."""

    reference = models.CharField(max_length=20, unique=True, editable=False)
    supplier = models.ForeignKey("suppliers.Supplier", on_delete=models.PROTECT, related_name="applications")
    purchase_order = models.ForeignKey(
        "suppliers.PurchaseOrder", null=True, blank=True, on_delete=models.SET_NULL, related_name="applications"
    )
    contract_number = models.CharField(max_length=100, blank=True, validators=v.SINGLE_LINE)
    end_user = models.CharField(max_length=300, validators=v.SINGLE_LINE)
    end_use = models.TextField(blank=True, max_length=v.TEXT_MAX, validators=v.MULTILINE)
    destination_country = models.CharField(max_length=2, help_text="ISO 3166 alpha-2.", validators=v.COUNTRY)
    consignee = models.CharField(max_length=300, blank=True, validators=v.SINGLE_LINE)
    # Both are fixed at application: a split air/sea shipment needs separate licences.
    transport_mode = models.CharField(max_length=10, choices=TransportMode.choices, blank=True)
    customs_port = models.CharField(max_length=100, blank=True, validators=v.SINGLE_LINE)
    kind = models.CharField(max_length=10, choices=LicenceKind.choices, default=LicenceKind.SINGLE)
    # Changed only by licensing.services.application_transition (the one door).
    status = models.CharField(max_length=25, choices=ApplicationStatus.choices, default=S.DRAFT, editable=False)
    submitted_on = models.DateField(null=True, blank=True, editable=False)
    accepted_on = models.DateField(null=True, blank=True, editable=False)
    decided_on = models.DateField(null=True, blank=True, editable=False)
    closed_on = models.DateField(null=True, blank=True, editable=False, help_text="Date of the final step.")
    mofcom_number = models.CharField("MOFCOM application number", max_length=100, blank=True, validators=v.SINGLE_LINE)
    time_limit_exemption = models.CharField(
        max_length=20, choices=TimeLimitExemption.choices, blank=True, default=TimeLimitExemption.NONE
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notes = models.TextField(blank=True, max_length=v.TEXT_MAX, validators=v.MULTILINE)

    # The statutory clock, stored so the deadline scan and lists can filter and sort on it;
    # recomputed by the services whenever an input changes (licensing.clock computes it).
    decision_due = models.DateField(null=True, blank=True, editable=False)
    decision_due_estimated = models.BooleanField(
        default=False, editable=False, help_text="The due date rests on a calendar year not yet published."
    )
    # Set when decided: working days from acceptance to decision (supplement pauses excluded),
    # so delay analytics aggregate in the database.
    decision_working_days = models.IntegerField(null=True, blank=True, editable=False)

    # Predicted decision (docs/analytics.md), refreshed when decisions land.
    predicted_decision_p50 = models.DateField(null=True, blank=True, editable=False)
    predicted_decision_p90 = models.DateField(null=True, blank=True, editable=False)
    prediction_sample_size = models.IntegerField(null=True, blank=True, editable=False)
    prediction_level = models.CharField(max_length=30, blank=True, editable=False)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [unique_external_ref("application_unique_external_ref")]
        indexes = [
            # The deadline scan: open applications ordered by their due date.
            models.Index(
                fields=["decision_due"],
                name="app_open_due_idx",
                condition=Q(status__in=["accepted", "supplement_requested"]),
            ),
            # acceptance_pending: submitted files by filing date.
            models.Index(fields=["submitted_on"], name="app_submitted_idx", condition=Q(status="submitted")),
            models.Index(fields=["status", "supplier"], name="app_status_supplier_idx"),
            # The default order of lists (newest first): a page is read from the index instead of
            # sorting every application (100,000 rows: see docs/benchmarks.md).
            models.Index(fields=["-created_at", "-id"], name="app_newest_first_idx"),
            # updated_since sync pages in (updated_at, id) order.
            models.Index(fields=["updated_at", "id"], name="app_sync_order_idx"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def allowed_transitions(self) -> tuple[str, ...]:
        return TRANSITIONS[self.status]


class ApplicationLine(models.Model):
    application = models.ForeignKey(LicenceApplication, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey("licensing.ControlledItem", on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(max_digits=18, decimal_places=3, validators=[MinValueValidator(0)])
    unit = models.CharField(max_length=5, choices=Unit.choices, default=Unit.KG)
    value = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True, default="USD", validators=v.CURRENCY)
    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        constraints = [
            field_check(condition=Q(quantity__gt=0), name="application_line_quantity_positive", field="quantity",
                        message="Give a quantity above zero."),
            field_check(condition=Q(value__isnull=True) | Q(value__gte=0), name="application_line_value_ok",
                        field="value", message="The value cannot be negative."),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} {self.unit} {self.item_id}"


class StandingStepManager(models.Manager):
    """The steps that stand: every step except those voided by a correction. The default
    manager (and so ``application.events``), so that the clock, the dates, the predictions, the
    API and the outbox never count a step recorded by mistake."""

    def get_queryset(self):
        return super().get_queryset().filter(voided_at__isnull=True)


class ApplicationEvent(models.Model):
    """One step of an application's timeline: its audit trail and the ERP change feed.

    It doubles as the notifications outbox (like healthchecks' ``Flip``): ``processed_at``
    stays empty until ``notifications`` has turned the row into alerts and webhooks.

    A step recorded by mistake is never deleted: ``licensing.services.application_correct_last_step``
    marks it voided (who, when, why) and, for a new date, records the step again with
    ``replaces`` pointing at it. ``objects`` leaves voided steps out; ``with_voided`` keeps them
    (the timeline on the application page).
    """

    application = models.ForeignKey(LicenceApplication, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=25, choices=ApplicationStatus.choices, blank=True)
    to_status = models.CharField(max_length=25, choices=ApplicationStatus.choices)
    on = models.DateField(help_text="The day the step happened in the real world.", validators=v.DATE)
    note = models.TextField(blank=True, max_length=v.TEXT_MAX, validators=v.MULTILINE)
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    api_client = models.CharField(
        max_length=100, blank=True, help_text="The API key's name, for ERP steps.", validators=v.SINGLE_LINE
    )
    # The supplier contact who reported the step through the supplier portal (their name);
    # ``recorded_by`` is then the user who confirmed it, if it was held.
    reported_by = models.CharField(max_length=200, blank=True, validators=v.SINGLE_LINE)
    processed_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True, editable=False)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    void_reason = models.TextField(blank=True, max_length=v.TEXT_MAX, validators=v.MULTILINE, editable=False)
    # The voided step this one re-dates (a correction of the date, not a new step).
    replaces = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by", editable=False
    )

    objects = StandingStepManager()
    with_voided = models.Manager()  # noqa: DJ012 (the second manager; objects stays the default)

    class Meta:
        ordering = ["on", "id"]
        base_manager_name = "with_voided"
        indexes = [
            models.Index(fields=["id"], name="event_unprocessed_idx", condition=Q(processed_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.from_status or '-'} -> {self.to_status} on {self.on}"

    @property
    def source(self) -> str:
        """Where the step came from: ``supplier`` (the portal), ``api`` or ``user``."""
        return "supplier" if self.reported_by else "api" if self.api_client else "user"

    @property
    def recorded_by_label(self) -> str:
        if self.reported_by:
            confirmed = f", confirmed by {self.recorded_by.get_username()}" if self.recorded_by else ""
            return f"reported by {self.reported_by} (supplier){confirmed}"
        if self.api_client:
            return f"api:{self.api_client}"
        return self.recorded_by.get_username() if self.recorded_by else ""
