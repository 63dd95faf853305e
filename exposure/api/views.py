"""API of own products and the FX table (docs/exposure.md): thin, they parse input and call
exposure.services; the impact and what-if reads call exposure.impact and exposure.whatif."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_view

from core.api.authentication import actor_of
from core.api.schema import crud_schema
from core.api.viewsets import (
    ApiViewSet,
    ByRefMixin,
    CreateMixin,
    DestroyMixin,
    ListMixin,
    RetrieveMixin,
    UpdateMixin,
)
from core.roles import Role

from .. import selectors, services
from ..models import FxRate
from . import serializers as s


@extend_schema_view(**crud_schema("product", s.ProductSerializer, s.ProductInputSerializer, by_ref=True))
class ProductViewSet(ListMixin, RetrieveMixin, CreateMixin, UpdateMixin, DestroyMixin, ByRefMixin, ApiViewSet):
    serializer_class = s.ProductSerializer
    input_serializer_class = s.ProductInputSerializer
    ordering_fields = ["id", "sku", "created_at", "updated_at"]

    def get_queryset(self):
        return selectors.products_with_content()

    def perform_create(self, data):
        return services.product_save(actor=actor_of(self.request), **data)

    def perform_update(self, instance, data):
        return services.product_save(product=instance, actor=actor_of(self.request), **data)

    def perform_destroy(self, instance):
        services.product_delete(product=instance, actor=actor_of(self.request))


@extend_schema_view(**crud_schema("exchange rate", s.FxRateSerializer, s.FxRateSerializer))
class FxRateViewSet(ListMixin, RetrieveMixin, CreateMixin, UpdateMixin, DestroyMixin, ApiViewSet):
    """The dated rate table compliance maintains: 1 ``currency`` = ``rate`` ``quote``."""

    serializer_class = s.FxRateSerializer
    input_serializer_class = s.FxRateSerializer
    write_role = Role.COMPLIANCE
    ordering_fields = ["id", "valid_from", "created_at", "updated_at"]

    def get_queryset(self):
        return FxRate.objects.all()

    def perform_create(self, data):
        return services.fx_rate_save(actor=actor_of(self.request), **data)

    def perform_update(self, instance, data):
        return services.fx_rate_save(fx_rate=instance, actor=actor_of(self.request), **data)
