"""API views: small on purpose, so the lead can switch their base classes to core/api's."""

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, viewsets
from rest_framework.response import Response

from core.roles import Role, has_role

from .. import selectors, services
from ..models import Alert, Kind, SubjectType, WebhookEndpoint
from .serializers import AlertSerializer, WebhookEndpointCreatedSerializer, WebhookEndpointSerializer


class HasRole(permissions.BasePermission):
    role = Role.VIEWER

    def has_permission(self, request, view) -> bool:
        return has_role(request.user, self.role)


class IsAdminRole(HasRole):
    role = Role.ADMIN


class AlertFilter(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=Kind.choices)
    subject_type = django_filters.ChoiceFilter(choices=SubjectType.choices)
    subject_id = django_filters.NumberFilter()
    severity = django_filters.CharFilter()
    created_since = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    due_from = django_filters.DateFilter(field_name="due_on", lookup_expr="gte")
    due_to = django_filters.DateFilter(field_name="due_on", lookup_expr="lte")

    class Meta:
        model = Alert
        fields = ["kind", "subject_type", "subject_id", "severity"]


class AlertViewSet(viewsets.ReadOnlyModelViewSet):
    """Alerts, newest first (read-only). Filters: kind, subject_type, subject_id, severity,
    created_since, due_from, due_to."""

    serializer_class = AlertSerializer
    permission_classes = [permissions.IsAuthenticated, HasRole]
    filterset_class = AlertFilter
    ordering_fields = ["created_at", "due_on", "id"]

    def get_queryset(self):
        return selectors.alerts_for_api()


class WebhookEndpointViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
    mixins.DestroyModelMixin, viewsets.GenericViewSet,
):
    """Webhook endpoints (admins only). The create answer carries the secret, once."""

    serializer_class = WebhookEndpointSerializer
    permission_classes = [permissions.IsAuthenticated, IsAdminRole]
    queryset = WebhookEndpoint.objects.order_by("name", "id")
    filterset_fields = ["active"]

    def perform_create(self, serializer):
        serializer.instance = services.webhook_endpoint_save(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.webhook_endpoint_save(endpoint=serializer.instance,
                                                             **serializer.validated_data)

    @extend_schema(responses={201: WebhookEndpointCreatedSerializer})
    def create(self, request, *args, **kwargs):
        response = super().create(request, *args, **kwargs)
        endpoint = WebhookEndpoint.objects.get(pk=response.data["id"])
        return Response({**response.data, "secret": endpoint.secret}, status=response.status_code,
                        headers=response.headers)
