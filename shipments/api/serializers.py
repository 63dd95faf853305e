"""Representations of docs/architecture.md#api for suppliers, purchase orders, shipments and licences.

Licences live here (not in licensing/api) because a licence line's balance is a sum over
shipments, and licensing may not import shipments (docs/architecture.md#layers)."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import ProhibitNullCharactersValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.fields import ExternalRefInputMixin, IdRelatedField
from licensing.api.fields import ItemCodeField
from licensing.api.serializers import LicenceLineInputSerializer
from licensing.models import Licence, LicenceApplication, LicenceKind, LicenceLine, LicenceStatus, TransportMode, Unit
from shipments.drawdown import shipment_warnings
from shipments.models import CustomsAnswer, Shipment, ShipmentLine, ShipmentStatus
from suppliers.models import PurchaseOrder, PurchaseOrderLine, Supplier

QTY = {"max_digits": 18, "decimal_places": 3}
POSITIVE = Decimal("0.001")
LINES_REQUIRED = "A shipment needs at least one line."


class SupplierSerializer(serializers.ModelSerializer):
    class Meta:
        model = Supplier
        fields = [
            "id",
            "name",
            "local_name",
            "country",
            "uscc",
            "contact_name",
            "contact_email",
            "phone",
            "active",
            "notes",
            "external_ref",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]


class SupplierInputSerializer(ExternalRefInputMixin, serializers.Serializer):
    external_ref_model = Supplier

    name = serializers.CharField(max_length=200)
    local_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    # Codes are checked by the model (core.validators, through supplier_save), like every door.
    country = serializers.CharField(max_length=2, required=False, help_text="ISO 3166 alpha-2; default CN.")
    uscc = serializers.CharField(
        max_length=18, required=False, allow_blank=True, help_text="Unified social credit code (18 characters)."
    )
    contact_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    contact_email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=50, required=False, allow_blank=True)
    active = serializers.BooleanField(required=False)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    external_ref = serializers.CharField(max_length=100, required=False, allow_blank=True)


# --- Purchase orders -----------------------------------------------------------------------------


class PurchaseOrderLineSerializer(serializers.ModelSerializer):
    item = ItemCodeField()
    quantity = serializers.DecimalField(**QTY, min_value=POSITIVE)
    unit = serializers.ChoiceField(choices=Unit.choices, default=Unit.KG)
    unit_price = serializers.DecimalField(
        max_digits=18, decimal_places=4, min_value=Decimal("0"), required=False, allow_null=True
    )
    currency = serializers.CharField(max_length=3, required=False, default="USD", help_text="ISO 4217.")

    class Meta:
        model = PurchaseOrderLine
        fields = ["item", "quantity", "unit", "unit_price", "currency"]


class PurchaseOrderLineReadSerializer(PurchaseOrderLineSerializer):
    item = serializers.CharField(source="item_code", read_only=True, help_text="The controlled item's code.")


class PurchaseOrderSerializer(serializers.ModelSerializer):
    lines = PurchaseOrderLineReadSerializer(many=True, read_only=True)

    class Meta:
        model = PurchaseOrder
        fields = [
            "id",
            "number",
            "external_ref",
            "supplier",
            "order_date",
            "needed_by",
            "status",
            "at_risk",
            "expected_arrival",
            "notes",
            "lines",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class PurchaseOrderFields(serializers.Serializer):
    """A purchase order's writable fields, shared by a single write and a bulk row."""

    number = serializers.CharField(max_length=100)
    external_ref = serializers.CharField(max_length=100, required=False, allow_blank=True)
    supplier = IdRelatedField(queryset=Supplier.objects.all())
    order_date = serializers.DateField()
    needed_by = serializers.DateField(required=False, allow_null=True)
    status = serializers.ChoiceField(choices=PurchaseOrder.Status.choices, required=False)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    lines = PurchaseOrderLineSerializer(many=True, required=False)


class PurchaseOrderInputSerializer(ExternalRefInputMixin, PurchaseOrderFields):
    external_ref_model = PurchaseOrder


# --- Shipments ----------------------------------------------------------------------------------


class ShipmentLineSerializer(serializers.ModelSerializer):
    item = ItemCodeField()
    quantity = serializers.DecimalField(**QTY, min_value=POSITIVE)
    unit = serializers.ChoiceField(choices=Unit.choices, default=Unit.KG)

    class Meta:
        model = ShipmentLine
        fields = ["item", "quantity", "unit"]


class ModelTextField(serializers.CharField):
    """Text whose rules are its model field's validators (``core.validators``: length, control
    characters), so the API refuses it with the same message as every other door (the
    services run the same validators again); the schema's ``maxLength`` is read from them."""

    def __init__(self, model_field, **kwargs):
        super().__init__(validators=list(model_field.validators), **kwargs)
        # DRF's own NUL check would add a second message for what validate_multiline refuses.
        self.validators = [v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)]


class CustomsAnswerSerializer(serializers.ModelSerializer):
    """The answer to a customs hold (docs/supplier-portal.md#customs-holds-messages-and-uploads)."""

    source = serializers.SerializerMethodField(
        help_text="`supplier`: sent by a supplier contact through the portal; `user`: recorded by procurement."
    )
    status = serializers.ChoiceField(
        choices=CustomsAnswer._meta.get_field("status").choices,
        read_only=True,
        help_text="`held`: a supplier's answer awaiting procurement's confirmation; `applied`: the recorded "
        "answer; `rejected`: refused, with `reject_reason`.",
    )
    held_on = serializers.DateField(read_only=True, help_text="The hold this answers (the shipment's `held_on`).")

    class Meta:
        model = CustomsAnswer
        fields = [
            "id",
            "held_on",
            "text",
            "source",
            "answered_by",
            "status",
            "document",
            "created_at",
            "decided_at",
            "reject_reason",
        ]
        read_only_fields = fields

    def get_source(self, obj: CustomsAnswer) -> str:
        return "supplier" if obj.contact_id is not None else "user"


class ShipmentSerializer(serializers.ModelSerializer):
    lines = ShipmentLineSerializer(many=True, read_only=True)
    customs_answer = serializers.SerializerMethodField(
        help_text="The latest answer to the current hold (the one on `held_on`), or null when it has none."
    )
    ships_after_expiry = serializers.BooleanField(read_only=True, help_text="Planned to ship after its licence ends.")
    warnings = serializers.SerializerMethodField(help_text="What the shipment is accepted with a warning for.")
    transport_mode = serializers.ChoiceField(choices=TransportMode.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Shipment
        fields = [
            "id",
            "reference",
            "external_ref",
            "supplier",
            "purchase_order",
            "licence",
            "status",
            "transport_mode",
            "planned_ship_date",
            "actual_ship_date",
            "eta",
            "arrived_on",
            "held_on",
            "customs_question",
            "customs_response_due",
            "customs_answer",
            "ships_after_expiry",
            "warnings",
            "overdraw_override",
            "override_note",
            "notes",
            "lines",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_warnings(self, obj: Shipment) -> list[str]:
        return shipment_warnings(obj)

    @extend_schema_field(CustomsAnswerSerializer(allow_null=True))
    def get_customs_answer(self, obj: Shipment) -> dict | None:
        # The answers come prefetched, newest first (ShipmentViewSet.get_queryset): one query per page.
        for answer in obj.customs_answers.all():
            if obj.held_on is not None and answer.held_on == obj.held_on:
                return CustomsAnswerSerializer(answer, context=self.context).data
        return None


class ShipmentFields(serializers.Serializer):
    """A shipment's writable fields, shared by a single write and a bulk row."""

    reference = serializers.CharField(max_length=100, help_text="Bill of lading or supplier reference.")
    external_ref = serializers.CharField(max_length=100, required=False, allow_blank=True)
    supplier = IdRelatedField(queryset=Supplier.objects.all())
    purchase_order = IdRelatedField(queryset=PurchaseOrder.objects.all(), required=False, allow_null=True)
    licence = IdRelatedField(
        queryset=Licence.objects.all(),
        required=False,
        allow_null=True,
        help_text="Omitted: keep the current one (a new shipment may get the suggested one); null: unassign.",
    )
    status = serializers.ChoiceField(choices=ShipmentStatus.choices, required=False)
    transport_mode = serializers.ChoiceField(choices=TransportMode.choices, required=False, allow_blank=True)
    planned_ship_date = serializers.DateField(required=False, allow_null=True)
    actual_ship_date = serializers.DateField(required=False, allow_null=True)
    eta = serializers.DateField(required=False, allow_null=True)
    arrived_on = serializers.DateField(required=False, allow_null=True)
    held_on = serializers.DateField(required=False, allow_null=True)
    customs_question = ModelTextField(
        Shipment._meta.get_field("customs_question"),
        required=False,
        allow_blank=True,
        help_text="What customs asked when it held the goods (the supplier sees it on the portal).",
    )
    notes = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    lines = ShipmentLineSerializer(many=True, required=False)


class ShipmentInputSerializer(ExternalRefInputMixin, ShipmentFields):
    """A single shipment write (update, or upsert by external_ref): ``lines`` are needed only
    when it creates the shipment, which the schema of an upsert cannot say."""

    external_ref_model = Shipment

    force = serializers.BooleanField(
        required=False, default=False, help_text="Over-draw anyway: compliance users only, with `override_note`."
    )
    override_note = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)

    def validate(self, attrs: dict) -> dict:
        # The rules of a shipment (ETA after ETD, purchase order and licence of its supplier,
        # drawdown) are shipments.services.shipment_save's, the same for every door.
        instance = self.instance
        if instance is None and not attrs.get("lines"):
            raise serializers.ValidationError({"lines": LINES_REQUIRED}, code="required")
        return attrs


class ShipmentCreateSerializer(ShipmentInputSerializer):
    """``POST shipments/``: a new shipment, so ``lines`` are required (and in the schema)."""

    lines = ShipmentLineSerializer(
        many=True, allow_empty=False, error_messages={"required": LINES_REQUIRED, "empty": LINES_REQUIRED}
    )


# --- Bulk rows ----------------------------------------------------------------------------------
#
# The rows of ``shipments/bulk/`` and ``purchase-orders/bulk/`` as the OpenAPI schema describes
# them. shipments.bulk_upsert parses the rows itself, set-based (docs/benchmarks.md); these say
# exactly what it accepts, so that a generated client can send them: ``external_ref`` required
# (the upsert key); every other field of a row optional and without a default, because a known
# row's omitted fields keep their current value; a new row needs what a create needs, which the
# server checks per row. ``force`` and ``override_note`` are absent: bulk refuses them, since
# an over-draw is forced one shipment at a time, with a compliance officer's note.

BULK_KEY_HELP = "The upsert key: the row updates the record with this external_ref, or creates it."


class ShipmentBulkRowSerializer(ShipmentFields):
    external_ref = serializers.CharField(max_length=100, help_text=BULK_KEY_HELP)
    reference = serializers.CharField(
        max_length=100, required=False, help_text="Bill of lading or supplier reference; required for a new shipment."
    )
    supplier = IdRelatedField(queryset=Supplier.objects.all(), required=False, help_text="Required for a new shipment.")
    licence = IdRelatedField(
        queryset=Licence.objects.all(), required=False, allow_null=True, help_text="Omitted: keep; null: unassign."
    )
    lines = ShipmentLineSerializer(
        many=True, required=False, allow_empty=False,
        help_text="Replace the shipment's lines; required for a new shipment.",
    )


class PurchaseOrderBulkRowSerializer(PurchaseOrderFields):
    external_ref = serializers.CharField(max_length=100, help_text=BULK_KEY_HELP)
    number = serializers.CharField(max_length=100, required=False, help_text="Required for a new order.")
    supplier = IdRelatedField(queryset=Supplier.objects.all(), required=False, help_text="Required for a new order.")
    order_date = serializers.DateField(required=False, help_text="Required for a new order.")
    lines = PurchaseOrderLineSerializer(
        many=True, required=False, allow_empty=False, help_text="Replace the order's lines; required for a new order."
    )


# --- Licences ----------------------------------------------------------------------------------


class LicenceLineSerializer(serializers.ModelSerializer):
    item = serializers.SlugRelatedField(slug_field="code", read_only=True)
    approved_quantity = serializers.DecimalField(**QTY, read_only=True)
    reserved_quantity = serializers.DecimalField(**QTY, read_only=True, help_text="Planned or booked shipments.")
    used_quantity = serializers.DecimalField(**QTY, read_only=True, help_text="Shipped onwards.")
    drawn_quantity = serializers.DecimalField(**QTY, read_only=True, help_text="reserved + used.")
    balance = serializers.DecimalField(**QTY, read_only=True, help_text="approved − drawn.")

    class Meta:
        model = LicenceLine
        fields = [
            "item",
            "approved_quantity",
            "unit",
            "reserved_quantity",
            "used_quantity",
            "drawn_quantity",
            "balance",
        ]
        read_only_fields = fields


class LicenceSerializer(serializers.ModelSerializer):
    lines = LicenceLineSerializer(many=True, read_only=True)

    class Meta:
        model = Licence
        fields = [
            "id",
            "number",
            "external_ref",
            "application",
            "supplier",
            "kind",
            "valid_from",
            "valid_until",
            "status",
            "notes",
            "lines",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class LicenceCreatedSerializer(LicenceSerializer):
    warnings = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="What was accepted with a warning."
    )

    class Meta(LicenceSerializer.Meta):
        fields = [*LicenceSerializer.Meta.fields, "warnings"]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["warnings"] = list(getattr(instance, "warnings", []))
        return data


class LicenceInputSerializer(ExternalRefInputMixin, serializers.Serializer):
    external_ref_model = Licence

    number = serializers.CharField(max_length=100)
    external_ref = serializers.CharField(max_length=100, required=False, allow_blank=True)
    application = IdRelatedField(queryset=LicenceApplication.objects.all(), required=False, allow_null=True)
    supplier = IdRelatedField(queryset=Supplier.objects.all())
    kind = serializers.ChoiceField(choices=LicenceKind.choices, required=False)
    valid_from = serializers.DateField()
    valid_until = serializers.DateField()
    notes = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    lines = LicenceLineInputSerializer(many=True, allow_empty=False)


class LicenceUpdateSerializer(ExternalRefInputMixin, serializers.Serializer):
    external_ref_model = Licence

    """A licence's header; its lines are fixed once granted (record a new licence instead)."""

    number = serializers.CharField(max_length=100)
    external_ref = serializers.CharField(max_length=100, required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=LicenceKind.choices, required=False)
    valid_from = serializers.DateField()
    valid_until = serializers.DateField()
    status = serializers.ChoiceField(choices=LicenceStatus.choices, required=False)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=10000)

    def validate(self, attrs: dict) -> dict:
        # The validity range is licence_update's rule (one message for every door).
        if isinstance(self.initial_data, dict) and "lines" in self.initial_data:
            raise serializers.ValidationError(
                {"lines": "A licence's lines cannot change after it is recorded."}, code="read_only"
            )
        return attrs
