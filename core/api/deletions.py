"""``GET /api/v1/deletions/``: the records deleted, for an ERP that mirrors the lists (core.sync)."""

from __future__ import annotations

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers

from core.models import Tombstone

from .fields import ApiFilterSet
from .schema import READ, errors
from .viewsets import ApiViewSet, ListMixin


class TombstoneSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tombstone
        fields = ["id", "model", "object_id", "external_ref", "updated_at"]


class TombstoneFilter(ApiFilterSet):
    model = filters.CharFilter(help_text="Only this kind: supplier, purchaseorder, shipment, licenceapplication, ...")

    class Meta:
        model = Tombstone
        fields = ["model", "external_ref", "updated_since"]


@extend_schema_view(list=extend_schema(tags=["sync"], responses={200: TombstoneSerializer(many=True), **errors(*READ)}))
class DeletionViewSet(ListMixin, ApiViewSet):
    """Deleted records, oldest first; page with `updated_since` / `cursor` like every sync list.
    `updated_at` is the deletion instant."""

    queryset = Tombstone.objects.all()
    serializer_class = TombstoneSerializer
    filterset_class = TombstoneFilter
    ordering_fields = ["updated_at", "id"]
