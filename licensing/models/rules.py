"""The control rules as dated data (docs/exposure.md).

A controlled item is *controlled* over the windows of kind CONTROLLED and not controlled over
the windows of kind SUSPENDED that overlap them. A window may end on the outcome of an
undecided policy event (a ``PendingDecision``, e.g. whether the suspension under MOFCOM
Announcement No. 70 ends on 10 November 2026): until compliance records the real outcome, a
``Scenario`` states it, and ``licensing.rules`` answers "is item X controlled on date D under
scenario S" from these rows.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from core.models import TimestampedModel, field_check, field_unique


class Outcome(models.TextChoices):
    ENDS = "ends", "Ends as scheduled"
    EXTENDED = "extended", "Extended"


class PendingDecision(TimestampedModel):
    """An undecided policy event on which the end of one or more windows hangs."""

    code = models.SlugField(max_length=40, unique=True)
    title = models.CharField(max_length=300)
    scheduled_end = models.DateField(help_text="The day the windows end if nothing else is decided.")
    event = models.ForeignKey(
        "licensing.PolicyEvent", null=True, blank=True, on_delete=models.SET_NULL, related_name="decisions",
        help_text="The calendar entry of the scheduled date.",
    )
    # The real outcome, recorded by compliance once it is known; blank while undecided.
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    extended_until = models.DateField(null=True, blank=True, help_text="With an extension: its new end.")
    outcome_source = models.CharField(max_length=300, blank=True, help_text="The announcement that decided it.")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["scheduled_end", "code"]
        constraints = [
            field_check(
                condition=~Q(outcome="extended") | Q(extended_until__isnull=False),
                name="decision_extension_has_end", field="extended_until",
                message="Give the date the extension runs until.",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        check_outcome(self.outcome, self.extended_until, self.scheduled_end, field="extended_until")


def check_outcome(outcome: str, extended_until, scheduled_end, *, field: str) -> None:
    """An extension names its new end, after the scheduled one; ending names none."""
    if outcome == Outcome.EXTENDED:
        if extended_until is None:
            raise ValidationError({field: "An extension needs the date it runs until."})
        if extended_until <= scheduled_end:
            raise ValidationError({field: f"An extension must run past {scheduled_end:%d %b %Y}."})
    elif extended_until is not None:
        raise ValidationError({field: "Only an extension has a new end date."})


class ControlWindow(models.Model):
    """A period over which an item is controlled, or over which its control is suspended.

    ``ends_on`` is the first day the window no longer applies (blank: open-ended). When
    ``decision`` is set, the window's end is that decision's outcome (its scheduled end, or the
    end of its extension), and ``ends_on`` stays blank.
    """

    class Kind(models.TextChoices):
        CONTROLLED = "controlled", "Controlled"
        SUSPENDED = "suspended", "Suspended"

    item = models.ForeignKey("licensing.ControlledItem", on_delete=models.CASCADE, related_name="windows")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    decision = models.ForeignKey(
        PendingDecision, null=True, blank=True, on_delete=models.PROTECT, related_name="windows"
    )
    announcement = models.CharField(max_length=200, help_text="The measure that opens the window.")
    source_url = models.URLField(max_length=500, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["item", "starts_on", "id"]
        constraints = [
            field_check(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gt=models.F("starts_on")),
                name="window_ends_after_start",
                field="ends_on", message="The window must end after it starts.",
            ),
            field_check(
                condition=Q(ends_on__isnull=True) | Q(decision__isnull=True), name="window_one_kind_of_end",
                field="ends_on", message="A window ends either on a date or with a pending decision, not both.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} {self.kind} from {self.starts_on}"


class Scenario(TimestampedModel):
    """The assumed outcomes of undecided events, for the what-if page."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    is_reference = models.BooleanField(default=False, help_text="Loaded from the shipped reference data.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ScenarioOutcome(models.Model):
    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="outcomes")
    decision = models.ForeignKey(PendingDecision, on_delete=models.CASCADE, related_name="+")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    extended_until = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            field_unique(fields=["scenario", "decision"], name="scenario_outcome_unique", field="decision",
                         message="This scenario has an outcome for this decision already."),
            field_check(
                condition=~Q(outcome="extended") | Q(extended_until__isnull=False),
                name="scenario_extension_has_end", field="extended_until",
                message="Give the date the extension runs until.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scenario_id}: {self.decision_id} {self.outcome}"

    def clean(self) -> None:
        check_outcome(self.outcome, self.extended_until, self.decision.scheduled_end, field="extended_until")
