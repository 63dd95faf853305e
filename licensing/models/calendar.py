from django.db import models
from simple_history.models import HistoricalRecords

from core import validators as v
from core.models import TimestampedModel


class CalendarOverride(TimestampedModel):
    """A day the State Council declared off or worked that the holidays package does not know yet.

    An override wins over the package (docs/architecture.md#clock).
    """

    class Kind(models.TextChoices):
        DAY_OFF = "day_off", "Day off"
        WORKING_DAY = "working_day", "Make-up working day"

    date = models.DateField(unique=True, validators=v.DATE)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    note = models.CharField(max_length=200, blank=True, validators=v.SINGLE_LINE)
    history = HistoricalRecords()

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date}: {self.get_kind_display()}"


class PublishedCalendarYear(TimestampedModel):
    """A year whose official schedule staff have entered as overrides, so it is not estimated."""

    year = models.PositiveIntegerField(unique=True)
    source = models.CharField(max_length=300, blank=True, validators=v.SINGLE_LINE)
    history = HistoricalRecords()

    class Meta:
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)
