from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from core import validators as v
from core.models import TimestampedModel, field_unique

LEAD_DAYS_MESSAGE = "Give whole numbers of days from 0 to 365, e.g. 30, 7, 1."


def default_lead_days() -> list[int]:
    return [30, 7, 1]


class PolicyEvent(TimestampedModel):
    """A dated policy fact (rule, tariff date, meeting, expiry) that changes the picture."""

    class Jurisdiction(models.TextChoices):
        CN = "CN", "China"
        US = "US", "United States"
        EU = "EU", "European Union"
        JP = "JP", "Japan"
        G7 = "G7", "G7"
        CN_US = "CN-US", "China–US"
        CN_EU = "CN-EU", "China–EU"
        OTHER = "other", "Other"

    class Kind(models.TextChoices):
        RULE = "rule", "Rule"
        ANNOUNCEMENT = "announcement", "Announcement"
        EFFECTIVE = "effective", "Takes effect"
        SUSPENSION = "suspension", "Suspension"
        EXPIRY = "expiry", "Expiry"
        TARIFF_THREAT = "tariff_threat", "Tariff threat"
        TARIFF_CHANGE = "tariff_change", "Tariff change"
        MEETING = "meeting", "Meeting"
        LICENSING_PRACTICE = "licensing_practice", "Licensing practice"
        LIST_ACTION = "list_action", "List action"
        REACTION = "reaction", "Reaction"

    class Confidence(models.TextChoices):
        HIGH = "high", "High"
        MEDIUM = "medium", "Medium"
        LOW = "low", "Low"

    date = models.DateField(db_index=True, validators=v.DATE)
    title = models.CharField(max_length=300, validators=v.SINGLE_LINE)
    jurisdiction = models.CharField(max_length=10, choices=Jurisdiction.choices)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    summary = models.TextField(blank=True, max_length=v.TEXT_MAX, validators=v.MULTILINE)
    # Element symbols as the source gives them; ``items`` is resolved from them. Empty: all.
    elements = models.CharField(max_length=100, blank=True, validators=v.SINGLE_LINE)
    items = models.ManyToManyField("licensing.ControlledItem", blank=True, related_name="policy_events")
    source_title = models.CharField(max_length=300, blank=True, validators=v.SINGLE_LINE)
    source_url = models.URLField(max_length=500, blank=True, validators=v.SINGLE_LINE)
    confidence = models.CharField(max_length=10, choices=Confidence.choices, default=Confidence.MEDIUM)
    lead_days = models.JSONField(default=default_lead_days, help_text="Alert this many days before, e.g. [30, 7, 1].")
    is_reference = models.BooleanField(default=False, help_text="Loaded from the shipped reference data.")
    history = HistoricalRecords(m2m_fields=[items])

    class Meta:
        ordering = ["date", "id"]
        constraints = [field_unique(
                fields=["date", "title"], name="policy_event_unique_date_title", field="title",
                message="An event with this title on this date is in the calendar already.",
            )]

    def __str__(self) -> str:
        return f"{self.date} {self.title}"


# Compliance reviews the policy calendar against its sources at least this often; past it, a
# daily task reminds them (notifications, policy_review_due; docs/alerts.md).
REVIEW_EVERY_DAYS = 30


class PolicyCalendarReview(models.Model):
    """Compliance checked the policy calendar against its sources on ``reviewed_on``: every
    event still right, new ones added. One row per review, never edited; the latest says when
    the calendar was last reviewed and by whom."""

    reviewed_on = models.DateField(validators=v.DATE, help_text="The day in China (CLOCK_TIME_ZONE).")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True, validators=v.SINGLE_LINE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-reviewed_on", "-id"]
        indexes = [models.Index(fields=["-reviewed_on", "-id"], name="policy_review_latest_idx")]

    def __str__(self) -> str:
        return f"Policy calendar reviewed on {self.reviewed_on}"
