from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from core import validators as v
from core.choices import Unit
from core.models import ExternalRefModel, field_check, field_unique, unique_external_ref

# Unified social credit code (GB 32100-2015): 18 characters from this alphabet, the last a
# check character computed from the first 17.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check_character(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def validate_uscc(value: str) -> None:
    code = value.upper()
    if len(code) != 18:
        raise ValidationError("A unified social credit code has 18 characters (got %(n)s).", params={"n": len(code)})
    if bad := sorted({c for c in code if c not in USCC_ALPHABET}):
        raise ValidationError(
            "Characters not allowed in a unified social credit code: %(c)s.", params={"c": "".join(bad)}
        )
    if uscc_check_character(code[:17]) != code[17]:
        raise ValidationError("The check character of this unified social credit code is wrong.")


class Supplier(ExternalRefModel):
    name = models.CharField(max_length=200, validators=v.SINGLE_LINE)
    local_name = models.CharField("local (Chinese) name", max_length=200, blank=True, validators=v.SINGLE_LINE)
    country = models.CharField(max_length=2, default="CN", help_text="ISO 3166 alpha-2.", validators=v.COUNTRY)
    uscc = models.CharField("unified social credit code", max_length=18, blank=True, validators=[validate_uscc])
    contact_name = models.CharField(max_length=200, blank=True, validators=v.SINGLE_LINE)
    contact_email = models.EmailField(blank=True, validators=v.SINGLE_LINE)
    phone = models.CharField(max_length=50, blank=True, validators=v.SINGLE_LINE)
    active = models.BooleanField(default=True)
    notes = models.TextField(blank=True, max_length=v.TEXT_MAX, validators=v.MULTILINE)
    # The supplier portal: steps its contacts report are held for procurement's confirmation
    # unless this is set (docs/supplier-portal.md).
    portal_apply_reports = models.BooleanField(
        "apply portal reports at once", default=False,
        help_text="Steps reported by this supplier's contacts change the application at once, without confirmation.",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "id"]
        constraints = [unique_external_ref("supplier_unique_external_ref")]

    def __str__(self) -> str:
        return self.name


class PurchaseOrder(ExternalRefModel):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"
        CANCELLED = "cancelled", "Cancelled"

    number = models.CharField(max_length=100, unique=True, validators=v.SINGLE_LINE)
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="purchase_orders")
    order_date = models.DateField(validators=v.DATE)
    needed_by = models.DateField(null=True, blank=True, help_text="When the goods must arrive.", validators=v.DATE)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    notes = models.TextField(blank=True, max_length=v.TEXT_MAX, validators=v.MULTILINE)
    # Set by the at-risk rule (docs/analytics.md) when predictions are refreshed.
    at_risk = models.BooleanField(default=False, editable=False)
    expected_arrival = models.DateField(null=True, blank=True, editable=False)
    # "late" (needed-by passed, goods not arrived) or "at_risk" (expected after needed-by),
    # with the cause in words and the date it rests on (shipments/risk.py).
    risk = models.CharField(max_length=10, blank=True, default="", editable=False)
    risk_reason = models.CharField(max_length=300, blank=True, default="", editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-order_date", "-id"]
        constraints = [unique_external_ref("purchase_order_unique_external_ref")]
        indexes = [models.Index(fields=["needed_by"], name="po_open_needed_idx", condition=Q(status="open"))]

    def __str__(self) -> str:
        return self.number


class PurchaseOrderLine(models.Model):
    purchase_order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="lines")
    # The item by its catalogue code: the catalogue (licensing) sits above the commercial data, so
    # the line names the item rather than pointing at it; the purchase-order service checks the code.
    item_code = models.CharField("item", max_length=40, validators=v.SINGLE_LINE)
    quantity = models.DecimalField(max_digits=18, decimal_places=3)
    unit = models.CharField(max_length=5, choices=Unit.choices, default=Unit.KG)
    unit_price = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    currency = models.CharField(max_length=3, default="USD", validators=v.CURRENCY)
    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        constraints = [
            field_check(condition=Q(quantity__gt=0), name="po_line_quantity_positive", field="quantity",
                        message="Give a quantity above zero."),
            field_check(
                condition=Q(unit_price__isnull=True) | Q(unit_price__gte=0), name="po_line_price_not_negative",
                field="unit_price", message="The unit price cannot be negative.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} {self.unit} {self.item_code}"


class SupplierContact(models.Model):
    """A person at a supplier who may report MOFCOM steps through the supplier portal
    (docs/supplier-portal.md). The portal's links point at a contact, never at a supplier."""

    class Language(models.TextChoices):
        EN = "en", "English"
        ZH_HANS = "zh-hans", "简体中文"

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200, validators=v.SINGLE_LINE)
    email = models.EmailField()
    language = models.CharField(max_length=7, choices=Language.choices, default=Language.ZH_HANS)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            field_unique(fields=["supplier", "email"], name="supplier_contact_unique_email", field="email",
                         message="This supplier has a contact with this email address already."),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.supplier})"
