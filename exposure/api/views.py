"""API of own products and the FX table (docs/exposure.md): thin, they parse input and call
exposure.services; the impact and what-if reads call exposure.impact and exposure.whatif."""

from __future__ import annotations

import datetime as dt

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from core.api.authentication import actor_of
from core.api.fields import valid_id
from core.api.schema import READ, crud_schema, errors
from core.api.viewsets import (
    ApiViewSet,
    ByRefMixin,
    CreateMixin,
    DestroyMixin,
    ListMixin,
    RetrieveMixin,
    UpdateMixin,
)
from core.errors import field_error
from core.roles import Role
from licensing import clock
from licensing.models import PolicyEvent, Scenario

from .. import impact, selectors, services, whatif
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


SCENARIO = OpenApiParameter(
    "scenario", int, description="A scenario's id: the assumed outcome of undecided events (default: as scheduled)."
)


def scenario_of(request) -> Scenario | None:
    """``?scenario=<id>``: absent means as scheduled; a bad or unknown id is a 404 naming it."""
    raw = request.query_params.get("scenario")
    if not raw:
        return None
    scenario = Scenario.objects.filter(pk=valid_id(raw) or 0).first()
    if scenario is None:
        raise NotFound(f"No scenario {raw!r}.")
    return scenario


class PolicyImpactViewSet(ApiViewSet):
    """``GET policy-events/{id}/impact/``: the open items a policy event touches."""

    @extend_schema(
        summary="The open items a policy event touches", parameters=[SCENARIO],
        responses={200: OpenApiTypes.OBJECT, **errors(*READ)},
    )
    def retrieve(self, request, pk=None):
        if valid_id(pk) is None:
            raise NotFound()
        event = get_object_or_404(PolicyEvent, pk=pk)
        return Response(impact.impact_as_dict(impact.impact_of(event, scenario=scenario_of(request))))


class WhatIfViewSet(ApiViewSet):
    """``GET what-if/?on=YYYY-MM-DD&scenario=<id>``: against today, what newly needs a licence."""

    @extend_schema(
        summary="What newly needs a licence on a date under a scenario",
        parameters=[OpenApiParameter("on", OpenApiTypes.DATE, required=True), SCENARIO],
        responses={200: OpenApiTypes.OBJECT, **errors(*READ)},
    )
    def list(self, request):
        raw = request.query_params.get("on", "")
        try:
            on = dt.date.fromisoformat(raw)
        except ValueError:
            raise field_error("on", "Give the date as YYYY-MM-DD.") from None
        result = whatif.what_if(on=on, today=clock.today(), scenario=scenario_of(request))
        return Response(whatif.what_if_as_dict(result))
