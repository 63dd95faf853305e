"""The importer's own products, their rare-earth content and the dated FX table behind the
0.1 % test of MOFCOM Announcement No. 61 of 2025 (docs/exposure.md)."""

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from core import validators as v
from core.models import ExternalRefModel, TimestampedModel, field_check, field_unique, unique_external_ref

# The seventeen rare earths (the lanthanides, scandium and yttrium).
RARE_EARTHS = (
    "La", "Ce", "Pr", "Nd", "Pm", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm", "Yb", "Lu", "Sc", "Y",
)


def validate_element(value: str) -> None:
    if value not in RARE_EARTHS:
        raise ValidationError(f"“{value}” is not a rare-earth symbol ({', '.join(RARE_EARTHS)}).")


class Product(ExternalRefModel):
    """A product the importer makes and sells on, possibly re-exporting Chinese rare earths."""

    sku = models.CharField("SKU", max_length=60, unique=True, validators=v.SINGLE_LINE)
    name = models.CharField(max_length=200, validators=v.SINGLE_LINE)
    unit_value = models.DecimalField(max_digits=18, decimal_places=4, validators=[MinValueValidator(0)])
    currency = models.CharField(max_length=3, default="USD", validators=v.CURRENCY)
    # ISO 3166 alpha-2 codes separated by spaces ("US DE JP"), like ControlledItem.elements.
    destinations = models.CharField(max_length=300, blank=True, validators=v.COUNTRIES)
    notes = models.TextField(blank=True, validators=v.MULTILINE)
    history = HistoricalRecords()

    class Meta:
        ordering = ["sku"]
        constraints = [
            unique_external_ref("product_unique_external_ref"),
            field_check(condition=Q(unit_value__gt=0), name="product_unit_value_positive", field="unit_value",
                        message="Give a unit value above zero."),
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"

    @property
    def destination_list(self) -> list[str]:
        return self.destinations.split()


class ProductContent(models.Model):
    """One rare earth in one unit of a product: how much, from where, worth what."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="contents")
    element = models.CharField(max_length=2, validators=[validate_element])
    mass_g = models.DecimalField(
        "mass per unit (g)", max_digits=18, decimal_places=6, validators=[MinValueValidator(0)]
    )
    china_origin = models.BooleanField(default=True, help_text="Mined, separated or processed in China.")
    supplier = models.ForeignKey(
        "suppliers.Supplier", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    purchase_order = models.ForeignKey(
        "suppliers.PurchaseOrder", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    value = models.DecimalField(
        "value per unit", max_digits=18, decimal_places=6, validators=[MinValueValidator(0)],
        help_text="What this content is worth in one unit of the product.",
    )
    currency = models.CharField(max_length=3, default="USD", validators=v.CURRENCY)
    history = HistoricalRecords()

    class Meta:
        ordering = ["product", "element", "id"]
        constraints = [
            field_check(condition=Q(mass_g__gte=0) & Q(value__gte=0), name="content_mass_value_ok", field="mass_g",
                        message="The mass and the value cannot be negative."),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}: {self.mass_g} g {self.element}"


class FxRate(TimestampedModel):
    """1 ``currency`` = ``rate`` ``quote``, from ``valid_from`` until the next row of the pair."""

    currency = models.CharField(max_length=3, validators=v.CURRENCY)
    quote = models.CharField(max_length=3, default="USD", validators=v.CURRENCY)
    valid_from = models.DateField(validators=v.DATE)
    rate = models.DecimalField(max_digits=24, decimal_places=10, validators=[MinValueValidator(0)])
    source = models.CharField(
        max_length=200, blank=True, help_text="E.g. ECB reference rate.", validators=v.SINGLE_LINE
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["currency", "quote", "-valid_from"]
        constraints = [
            field_unique(fields=["currency", "quote", "valid_from"], name="fx_rate_unique_day", field="valid_from",
                         message="A rate for this currency pair from this day is recorded already."),
            field_check(
                condition=Q(rate__gt=0), name="fx_rate_positive", field="rate", message="Give a rate above zero."
            ),
            field_check(condition=~Q(currency=models.F("quote")), name="fx_rate_two_currencies", field="quote",
                        message="The quote currency must differ from the currency."),
        ]

    def __str__(self) -> str:
        return f"1 {self.currency} = {self.rate} {self.quote} from {self.valid_from}"
