"""API views for suppliers, purchase orders, shipments and licences (docs/architecture.md#api): thin, they
parse input and call shipments.services, shipments.bulk_upsert and licensing.services."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.authentication import actor_of
from core.api.schema import IDEMPOTENCY_KEY, IF_MATCH, READ, WRITE, crud_schema, errors
from core.api.throttling import ApiThrottle, BulkThrottle
from core.api.viewsets import (
    ApiViewSet,
    ByRefMixin,
    CreateMixin,
    DestroyMixin,
    ListMixin,
    RetrieveMixin,
    UpdateMixin,
    etag_of,
)
from core.errors import field_error
from licensing import services as licensing_services
from shipments import bulk_upsert as bulk
from shipments import services
from shipments.models import CustomsAnswer, Shipment, ShipmentLine
from shipments.selectors import licences_with_lines
from suppliers import services as supplier_services
from suppliers.models import PurchaseOrder, PurchaseOrderLine, Supplier

from . import serializers as s
from .filters import LicenceFilter, PurchaseOrderFilter, ShipmentFilter, SupplierFilter

BULK_RESULT = inline_serializer(
    "BulkResult",
    {
        "created": serializers.IntegerField(),
        "updated": serializers.IntegerField(),
        "results": inline_serializer(
            "BulkRowResult",
            {
                "index": serializers.IntegerField(),
                "id": serializers.IntegerField(),
                "external_ref": serializers.CharField(),
                "created": serializers.BooleanField(),
            },
            many=True,
        ),
    },
)


def bulk_schema(name: str, row, new_needs: str) -> dict:
    """The schema of a bulk upsert: its rows are ``row`` (shipments/api/serializers.py, "Bulk rows")."""
    return extend_schema(
        summary=f"Upsert up to 10,000 {name}s by external_ref, all or nothing",
        description=f"A JSON array of 1 to {settings.API_BULK_MAX_ROWS:,} rows, each with its `external_ref` "
        f"(the upsert key). A new {name} needs {new_needs}; a known one's omitted fields keep their current "
        "value, and `lines`, when given, replace its lines. Any bad row fails the whole call and nothing is "
        "written: 400 lists every error with `attr` like `[3].lines[0].quantity`; 409 when the only errors "
        "are over-draws.",
        request=row(many=True),
        parameters=[IDEMPOTENCY_KEY],
        responses={200: BULK_RESULT, **errors(*WRITE)},
    )


class BulkResultMixin:
    def bulk_response(self, result: bulk.BulkResult) -> Response:
        return Response({"created": result.created, "updated": result.updated, "results": result.results})


@extend_schema_view(**crud_schema("supplier", s.SupplierSerializer, s.SupplierInputSerializer, by_ref=True))
class SupplierViewSet(ListMixin, RetrieveMixin, CreateMixin, UpdateMixin, DestroyMixin, ByRefMixin, ApiViewSet):
    queryset = Supplier.objects.all()
    serializer_class = s.SupplierSerializer
    input_serializer_class = s.SupplierInputSerializer
    filterset_class = SupplierFilter
    ordering_fields = ["id", "name", "created_at", "updated_at"]

    def perform_create(self, data):
        return supplier_services.supplier_save(actor=actor_of(self.request), **data)

    def perform_update(self, instance, data):
        return supplier_services.supplier_save(supplier=instance, actor=actor_of(self.request), **data)

    def perform_destroy(self, instance):
        # Suppliers with orders, shipments, applications or licences are protected (409).
        instance.delete()


@extend_schema_view(
    **crud_schema("purchase order", s.PurchaseOrderSerializer, s.PurchaseOrderInputSerializer, by_ref=True),
    bulk=bulk_schema(
        "purchase order", s.PurchaseOrderBulkRowSerializer, "`number`, `supplier`, `order_date` and `lines`"
    ),
)
class PurchaseOrderViewSet(
    ListMixin, RetrieveMixin, CreateMixin, UpdateMixin, DestroyMixin, ByRefMixin, BulkResultMixin, ApiViewSet
):
    serializer_class = s.PurchaseOrderSerializer
    input_serializer_class = s.PurchaseOrderInputSerializer
    filterset_class = PurchaseOrderFilter
    ordering_fields = ["id", "number", "order_date", "needed_by", "created_at", "updated_at"]

    def get_queryset(self):
        return PurchaseOrder.objects.prefetch_related(
            Prefetch("lines", queryset=PurchaseOrderLine.objects.order_by("id"))
        )

    def perform_create(self, data):
        return services.purchase_order_save(actor=actor_of(self.request), **data)

    def perform_update(self, instance, data):
        return services.purchase_order_save(purchase_order=instance, actor=actor_of(self.request), **data)

    def perform_destroy(self, instance):
        instance.delete()

    @action(detail=False, methods=["post"], throttle_classes=[ApiThrottle, BulkThrottle])
    def bulk(self, request):
        return self.bulk_response(bulk.purchase_orders_bulk_upsert(request.data, actor=actor_of(request)))


@extend_schema_view(
    **crud_schema(
        "shipment", s.ShipmentSerializer, s.ShipmentInputSerializer, by_ref=True, create=s.ShipmentCreateSerializer
    ),
    bulk=bulk_schema("shipment", s.ShipmentBulkRowSerializer, "`reference`, `supplier` and `lines`"),
)
class ShipmentViewSet(
    ListMixin, RetrieveMixin, CreateMixin, UpdateMixin, DestroyMixin, ByRefMixin, BulkResultMixin, ApiViewSet
):
    """Shipments and their drawdown of licences; an over-draw answers 409 with the service's message."""

    serializer_class = s.ShipmentSerializer
    input_serializer_class = s.ShipmentInputSerializer
    create_serializer_class = s.ShipmentCreateSerializer
    filterset_class = ShipmentFilter
    ordering_fields = ["id", "reference", "planned_ship_date", "eta", "created_at", "updated_at"]

    def get_queryset(self):
        return Shipment.objects.select_related("licence").prefetch_related(
            Prefetch("lines", queryset=ShipmentLine.objects.select_related("item").order_by("id")),
            # Newest first: the representation shows the latest answer to the current hold.
            Prefetch("customs_answers", queryset=CustomsAnswer.objects.order_by("-created_at", "-id")),
        )

    def _save(self, instance, data):
        data = dict(data)
        licence = data.pop("licence") if "licence" in data else False
        return services.shipment_save(shipment=instance, licence=licence, actor=actor_of(self.request), **data)

    def perform_create(self, data):
        return self._save(None, data)

    def perform_update(self, instance, data):
        return self._save(instance, data)

    def perform_destroy(self, instance):
        # The service gives the drawn balance back and re-activates an exhausted licence.
        services.shipment_delete(shipment=instance, actor=actor_of(self.request))

    @action(detail=False, methods=["post"], throttle_classes=[ApiThrottle, BulkThrottle])
    def bulk(self, request):
        return self.bulk_response(bulk.shipments_bulk_upsert(request.data, actor=actor_of(request)))


@extend_schema_view(
    list=extend_schema(
        summary="List licences with their balances", responses={200: s.LicenceSerializer, **errors(*READ)}
    ),
    retrieve=extend_schema(
        summary="A licence with its balances", responses={200: s.LicenceSerializer, **errors(*READ)}
    ),
    create=extend_schema(
        summary="Record a licence with its lines (with or without an application)",
        request=s.LicenceInputSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: s.LicenceCreatedSerializer, **errors(*WRITE)},
    ),
    update=extend_schema(
        summary="Replace a licence's header (its lines are fixed)",
        request=s.LicenceUpdateSerializer,
        parameters=[IF_MATCH],
        responses={200: s.LicenceSerializer, **errors(*WRITE)},
    ),
    partial_update=extend_schema(
        summary="Change a licence's header (number, validity, status, notes)",
        request=s.LicenceUpdateSerializer,
        parameters=[IF_MATCH],
        responses={200: s.LicenceSerializer, **errors(*WRITE)},
    ),
)
class LicenceViewSet(ListMixin, RetrieveMixin, CreateMixin, UpdateMixin, ApiViewSet):
    """Licences with per-line approved, reserved, used, drawn and balance (docs/architecture.md#drawdown)."""

    serializer_class = s.LicenceSerializer
    input_serializer_class = s.LicenceUpdateSerializer
    filterset_class = LicenceFilter
    ordering_fields = ["id", "number", "valid_from", "valid_until", "created_at", "updated_at"]

    def get_queryset(self):
        return licences_with_lines()

    def create(self, request, *args, **kwargs):
        data = self.validated(serializer_class=s.LicenceInputSerializer)
        licence = licensing_services.licence_create(actor=actor_of(request), **data)
        fresh = self.refetch(licence)
        fresh.warnings = licence.warnings
        data = s.LicenceCreatedSerializer(fresh, context=self.get_serializer_context()).data
        response = Response(data, status=201)
        response["ETag"] = etag_of(self.get_serializer(fresh).data)
        return response

    def perform_update(self, instance, data):
        # Clients send "revoked" or "active" (reinstate); licence_change decides the rest
        # (expired, exhausted). Sending the current status back, whatever it is, changes nothing.
        status = data.pop("status", None)
        revoked = None
        if status == "revoked":
            revoked = True
        elif status == "active":
            revoked = False
        elif status is not None and status != instance.status:
            raise field_error(
                "status",
                "Set a licence to revoked, or back to active; the rest follows the balances.",
                code="invalid_choice",
            )
        return services.licence_change(licence=instance, actor=actor_of(self.request), revoked=revoked, **data)
