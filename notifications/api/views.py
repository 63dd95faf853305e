"""Alerts (read-only) and webhook endpoints over the shared API base (core.api.viewsets):
the same keys, scopes, pagination, ETags, idempotency and error shape as every resource."""

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status

from core.api.authentication import actor_of, api_key_of
from core.api.fields import IdFilter, InstantFilter, date_range
from core.api.permissions import ApiPermission
from core.api.schema import IDEMPOTENCY_KEY, READ, WRITE, crud_schema, errors
from core.api.viewsets import ApiViewSet, CreateMixin, DestroyMixin, ListMixin, RetrieveMixin, UpdateMixin
from core.roles import Role, has_role

from .. import selectors, services
from ..models import Alert, Kind, SubjectType, WebhookEndpoint
from .serializers import AlertSerializer, WebhookEndpointCreatedSerializer, WebhookEndpointSerializer


class AlertFilter(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=Kind.choices)
    subject_type = django_filters.ChoiceFilter(choices=SubjectType.choices)
    subject_id = IdFilter()
    severity = django_filters.CharFilter()
    # Compared in UTC: PostgreSQL refuses offsets Python accepts (found by schemathesis).
    created_since = InstantFilter(field_name="created_at", lookup_expr="gte")
    due_from, due_to = date_range("due_on", "Due")

    class Meta:
        model = Alert
        fields = ["kind", "subject_type", "subject_id", "severity"]


@extend_schema_view(
    list=extend_schema(summary="List alerts", responses={200: AlertSerializer, **errors(*READ)}),
    retrieve=extend_schema(summary="An alert", responses={200: AlertSerializer, **errors(*READ)}),
)
class AlertViewSet(ListMixin, RetrieveMixin, ApiViewSet):
    """Alerts, newest first (read-only). Filters: kind, subject_type, subject_id, severity,
    created_since, due_from, due_to."""

    serializer_class = AlertSerializer
    filterset_class = AlertFilter
    ordering_fields = ["created_at", "due_on", "id"]

    def get_queryset(self):
        return selectors.alerts_for_api()


class WebhookPermission(ApiPermission):
    """API keys by scope, as everywhere; people only with the admin role, even to read, since
    an endpoint's URL and event filter describe the company's integration."""

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        if api_key_of(request) is None and not has_role(request.user, Role.ADMIN):
            self.message = "This needs the admin role."
            return False
        return True


_webhook_schema = crud_schema("webhook endpoint", WebhookEndpointSerializer)
# The create answer is the only one that carries the secret.
_webhook_schema["create"] = extend_schema(
    summary="Create a webhook endpoint (the answer carries its secret, once)",
    request=WebhookEndpointSerializer,
    parameters=[IDEMPOTENCY_KEY],
    responses={201: WebhookEndpointCreatedSerializer, **errors(*WRITE)},
)


@extend_schema_view(**_webhook_schema)
class WebhookEndpointViewSet(ListMixin, RetrieveMixin, CreateMixin, UpdateMixin, DestroyMixin, ApiViewSet):
    """Webhook endpoints (admins and write keys). The create answer carries the secret, once."""

    serializer_class = WebhookEndpointSerializer
    permission_classes = [WebhookPermission]
    write_role = Role.ADMIN
    filterset_fields = ["active"]
    ordering_fields = ["name", "id", "created_at", "updated_at"]

    def get_queryset(self):
        return WebhookEndpoint.objects.order_by("name", "id")

    def perform_create(self, data):
        return services.webhook_endpoint_save(actor=actor_of(self.request), **data)

    def perform_update(self, instance, data):
        return services.webhook_endpoint_save(endpoint=instance, actor=actor_of(self.request), **data)

    def create(self, request, *args, **kwargs):
        endpoint = self.perform_create(self.validated())
        response = self.represent(self.refetch(endpoint), status_code=status.HTTP_201_CREATED)
        response.data = {**response.data, "secret": endpoint.secret}
        return response
