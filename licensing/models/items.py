from django.core.validators import RegexValidator
from django.db import models
from simple_history.models import HistoricalRecords

from core.choices import TransportMode, Unit  # noqa: F401  (re-exported for licensing.models)
from core.models import TimestampedModel


class Form(models.TextChoices):
    OXIDE = "oxide", "Oxide"
    METAL = "metal", "Metal"
    ALLOY = "alloy", "Alloy"
    COMPOUND = "compound", "Compound"
    MAGNET = "magnet", "Magnet"
    TECHNOLOGY = "technology", "Technology"
    MIXED = "mixed", "Mixed (several forms)"
    OTHER = "other", "Other"


class ControlledItem(TimestampedModel):
    """What needs a licence: a control class from the reference data, or a user's own item."""

    code = models.CharField(
        max_length=40,
        unique=True,
        validators=[RegexValidator(r"^[A-Za-z0-9][A-Za-z0-9._-]*$", "Use letters, digits, '.', '_' or '-'.")],
    )
    name = models.CharField(max_length=300)
    # Element symbols separated by spaces ("Dy Tb"); policy events and analytics match on them.
    elements = models.CharField(max_length=100, blank=True)
    form = models.CharField(max_length=20, choices=Form.choices, default=Form.OTHER)
    hs_codes = models.CharField("HS codes", max_length=300, blank=True, help_text="Space-separated.")
    control_code = models.CharField("Chinese control-list number", max_length=20, blank=True)
    announcement = models.CharField(max_length=200, blank=True)
    controlled_since = models.DateField(null=True, blank=True)
    licensing_required = models.BooleanField(default=True, help_text="Currently subject to licensing.")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children",
        help_text="The control class a user's own item falls under.",
    )
    notes = models.TextField(blank=True)
    is_reference = models.BooleanField(default=False, help_text="Loaded from the shipped reference data.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"

    @property
    def element_list(self) -> list[str]:
        return self.elements.split()
