"""Representations of own products and their content (docs/exposure.md)."""

from __future__ import annotations

from decimal import Decimal

from rest_framework import serializers

from core.api.fields import ExternalRefInputMixin, IdRelatedField
from suppliers.models import PurchaseOrder, Supplier

from ..models import RARE_EARTHS, FxRate, Product, ProductContent

CURRENCY = {"regex": r"^[A-Z]{3}$"}
ZERO = Decimal("0")


class ProductContentSerializer(serializers.ModelSerializer):
    element = serializers.ChoiceField(choices=RARE_EARTHS)
    mass_g = serializers.DecimalField(max_digits=18, decimal_places=6, min_value=ZERO)
    china_origin = serializers.BooleanField(default=True)
    supplier = IdRelatedField(queryset=Supplier.objects.all(), required=False, allow_null=True)
    purchase_order = IdRelatedField(queryset=PurchaseOrder.objects.all(), required=False, allow_null=True)
    value = serializers.DecimalField(max_digits=18, decimal_places=6, min_value=ZERO)
    currency = serializers.RegexField(**CURRENCY, required=False, default="USD")

    class Meta:
        model = ProductContent
        fields = ["element", "mass_g", "china_origin", "supplier", "purchase_order", "value", "currency"]


class ProductSerializer(serializers.ModelSerializer):
    contents = ProductContentSerializer(many=True, read_only=True)
    destinations = serializers.SerializerMethodField()

    class Meta:
        model = Product
        fields = [
            "id", "sku", "external_ref", "name", "unit_value", "currency", "destinations", "notes", "contents",
            "created_at", "updated_at",
        ]
        read_only_fields = fields

    def get_destinations(self, obj: Product) -> list[str]:
        return obj.destination_list


class ProductInputSerializer(ExternalRefInputMixin, serializers.Serializer):
    external_ref_model = Product

    sku = serializers.CharField(max_length=60)
    external_ref = serializers.CharField(max_length=100, required=False, allow_blank=True)
    name = serializers.CharField(max_length=200)
    unit_value = serializers.DecimalField(max_digits=18, decimal_places=4, min_value=Decimal("0.0001"))
    currency = serializers.RegexField(**CURRENCY, required=False, default="USD")
    destinations = serializers.ListField(
        child=serializers.RegexField(r"^[A-Z]{2}$"), required=False, help_text="ISO 3166 alpha-2 codes."
    )
    notes = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    contents = ProductContentSerializer(many=True, required=False)

    def validate_destinations(self, value: list[str]) -> str:
        return " ".join(value)


class FxRateSerializer(serializers.ModelSerializer):
    class Meta:
        model = FxRate
        fields = ["id", "currency", "quote", "valid_from", "rate", "source"]
