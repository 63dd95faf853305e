"""API views for the licensing core (docs/architecture.md#api): thin, they parse input and call the services."""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied

from core.api.authentication import actor_of, api_client_of
from core.api.schema import DELETED, EXTERNAL_REF, IDEMPOTENCY_KEY, IF_MATCH, READ, WRITE, errors
from core.api.viewsets import (
    ApiViewSet,
    ByRefMixin,
    CreateMixin,
    DestroyMixin,
    ListMixin,
    RetrieveMixin,
    UpdateMixin,
)
from core.errors import ConflictError, field_error
from core.roles import Role, has_role
from licensing import services
from licensing.models import (
    ApplicationEvent,
    ApplicationLine,
    ApplicationStatus,
    ControlledItem,
    LicenceApplication,
    PolicyEvent,
)

from . import serializers as s
from .filters import ApplicationFilter, ControlledItemFilter, PolicyEventFilter


@extend_schema_view(
    list=extend_schema(summary="List controlled items", responses={200: s.ControlledItemSerializer, **errors(*READ)}),
    retrieve=extend_schema(
        summary="A controlled item, by code", responses={200: s.ControlledItemSerializer, **errors(*READ)}
    ),
)
class ControlledItemViewSet(ListMixin, RetrieveMixin, ApiViewSet):
    """The catalogue of what needs a licence; read-only over the API, referenced by ``code``."""

    queryset = ControlledItem.objects.select_related("parent")
    serializer_class = s.ControlledItemSerializer
    filterset_class = ControlledItemFilter
    lookup_field = "code"
    ordering_fields = ["code", "name", "updated_at", "controlled_since"]
    ordering = ["code"]


APPLICATION_RESPONSES = {200: s.ApplicationSerializer}


EXPAND = OpenApiParameter(
    "expand",
    str,
    OpenApiParameter.QUERY,
    description="`events`: include each application's timeline in the list (the detail always has it).",
    enum=list(s.EXPANDABLE),
)


@extend_schema_view(
    list=extend_schema(
        summary="List applications (the timeline with `expand=events`)",
        parameters=[EXPAND],
        responses={200: s.ApplicationListItemSerializer, **errors(*READ)},
    ),
    retrieve=extend_schema(
        summary="An application with its clock and timeline", responses={200: s.ApplicationSerializer, **errors(*READ)}
    ),
    create=extend_schema(
        summary="Create an application (draft, or back-loaded with dated events)",
        request=s.ApplicationInputSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: s.ApplicationSerializer, **errors(*WRITE)},
    ),
    update=extend_schema(
        summary="Replace an application's details (not its status)",
        request=s.ApplicationInputSerializer,
        parameters=[IF_MATCH],
        responses={200: s.ApplicationSerializer, **errors(*WRITE)},
    ),
    partial_update=extend_schema(
        summary="Change some of an application's details",
        request=s.ApplicationInputSerializer,
        parameters=[IF_MATCH],
        responses={200: s.ApplicationSerializer, **errors(*WRITE)},
    ),
    destroy=extend_schema(
        summary="Delete a draft application", parameters=[IF_MATCH], responses={204: DELETED, **errors(*WRITE)}
    ),
    by_ref=extend_schema(
        summary="Create or update an application by the ERP's key",
        request=s.ApplicationInputSerializer,
        parameters=[EXTERNAL_REF, IF_MATCH],
        responses={200: s.ApplicationSerializer, 201: s.ApplicationSerializer, **errors(*WRITE)},
    ),
)
class ApplicationViewSet(ListMixin, RetrieveMixin, CreateMixin, UpdateMixin, DestroyMixin, ByRefMixin, ApiViewSet):
    """Licence applications (docs/architecture.md#workflow): the clock fields come from the same selector
    the UI uses."""

    serializer_class = s.ApplicationSerializer
    input_serializer_class = s.ApplicationInputSerializer
    filterset_class = ApplicationFilter
    ordering_fields = [
        "id",
        "reference",
        "created_at",
        "updated_at",
        "status",
        "submitted_on",
        "accepted_on",
        "decided_on",
        "decision_due",
    ]

    def get_queryset(self):
        # Constant queries whatever the page size: rows, lines with their items, events with
        # their users (plus the calendar, once per request, in the serializer context).
        return LicenceApplication.objects.prefetch_related(
            Prefetch("lines", queryset=ApplicationLine.objects.select_related("item").order_by("id")),
            Prefetch("events", queryset=ApplicationEvent.objects.select_related("recorded_by").order_by("on", "id")),
        )

    def list(self, request, *args, **kwargs):
        """A page from ``.values()`` rows (licensing.api.serializers.application_rows_representation):
        the same representation as the detail, the timeline only with ``expand=events``."""
        expand = [part for part in request.query_params.get("expand", "").split(",") if part]
        if unknown := set(expand) - set(s.EXPANDABLE):
            raise field_error("expand", f"Unknown: {', '.join(sorted(unknown))}. Choose from: events.", code="invalid")
        queryset = self.filter_queryset(LicenceApplication.objects.all())
        page = self.paginate_queryset(queryset.values(*s.LIST_COLUMNS))
        context = self.get_serializer_context()
        return self.get_paginated_response(
            s.application_rows_representation(page, ctx=context["clock"], expand=expand)
        )

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if not hasattr(self, "_clock_context"):
            self._clock_context = s.ClockContext()
        context["clock"] = self._clock_context
        return context

    def _fields(self, data: dict) -> tuple[dict, list | None]:
        data = dict(data)
        lines = data.pop("lines", None)
        return data, lines

    def perform_create(self, data):
        fields, lines = self._fields(data)
        events = fields.pop("events", ())
        return services.application_create(
            lines=lines or (),
            events=events,
            actor=actor_of(self.request),
            api_client=api_client_of(self.request),
            **fields,
        )

    def perform_update(self, instance, data):
        fields, lines = self._fields(data)
        return services.application_update(application=instance, lines=lines, actor=actor_of(self.request), **fields)

    def perform_destroy(self, instance):
        if instance.status != ApplicationStatus.DRAFT:
            raise field_error(
                "status",
                f"{instance.reference} is {instance.status}: only a draft can be deleted; withdraw it.",
                code="not_draft",
                cls=ConflictError,
            )
        instance.delete()

    @extend_schema(
        summary="Move an application to another status (the one door, docs/architecture.md#workflow)",
        request=s.TransitionSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={200: s.ApplicationSerializer, **errors(*WRITE)},
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        application = self.get_object()
        data = self.validated(serializer_class=s.TransitionSerializer)
        application = services.application_transition(
            application=application,
            to=data["to"],
            on=data["on"],
            note=data.get("note", ""),
            licence=data.get("licence"),
            actor=actor_of(request),
            api_client=api_client_of(request),
        )
        return self.represent(self.refetch(application))

    @extend_schema(
        summary="Correct the last step recorded by mistake (compliance role)",
        description=(
            "Undo the last step of the timeline (`undo`) or give it another date (`redate`, with `on`), "
            "with a `reason`. Nothing is deleted: the step is marked voided (who, when, why) and, for a "
            "new date, recorded again; `events` lists the steps that stand. The status, the dates, the "
            "clock and the prediction follow the corrected timeline. Undoing an approval revokes its "
            "licence, and answers 409 while shipments draw on it. People need the compliance role (403 "
            "otherwise); API keys need write scope."
        ),
        request=s.CorrectionSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={200: s.ApplicationSerializer, **errors(*WRITE)},
    )
    @action(detail=True, methods=["post"], url_path="correct-last-step")
    def correct_last_step(self, request, pk=None):
        if request.user.is_authenticated and not has_role(request.user, Role.COMPLIANCE):
            raise PermissionDenied("Correcting a recorded step needs the compliance role.")
        application = self.get_object()
        data = self.validated(serializer_class=s.CorrectionSerializer)
        application = services.application_correct_last_step(
            application=application,
            action=data["action"],
            on=data.get("on"),
            reason=data.get("reason", ""),
            actor=actor_of(request),
            api_client=api_client_of(request),
        )
        return self.represent(self.refetch(application))


@extend_schema_view(
    list=extend_schema(summary="List policy events", responses={200: s.PolicyEventSerializer, **errors(*READ)}),
    retrieve=extend_schema(summary="A policy event", responses={200: s.PolicyEventSerializer, **errors(*READ)}),
    create=extend_schema(
        summary="Record a policy event (compliance role)",
        parameters=[IDEMPOTENCY_KEY],
        responses={201: s.PolicyEventSerializer, **errors(*WRITE)},
    ),
    update=extend_schema(
        summary="Replace a policy event",
        parameters=[IF_MATCH],
        responses={200: s.PolicyEventSerializer, **errors(*WRITE)},
    ),
    partial_update=extend_schema(
        summary="Change a policy event",
        parameters=[IF_MATCH],
        responses={200: s.PolicyEventSerializer, **errors(*WRITE)},
    ),
    destroy=extend_schema(
        summary="Delete a policy event", parameters=[IF_MATCH], responses={204: DELETED, **errors(*WRITE)}
    ),
)
class PolicyEventViewSet(ListMixin, RetrieveMixin, CreateMixin, UpdateMixin, DestroyMixin, ApiViewSet):
    """Dated policy facts; people need the compliance role to write them (docs/architecture.md#ui)."""

    queryset = PolicyEvent.objects.prefetch_related("items")
    serializer_class = s.PolicyEventSerializer
    filterset_class = PolicyEventFilter
    write_role = Role.COMPLIANCE
    ordering_fields = ["id", "date", "updated_at", "created_at"]

    def perform_create(self, data):
        return services.policy_event_save(actor=actor_of(self.request), **data)

    def perform_update(self, instance, data):
        return services.policy_event_save(event=instance, actor=actor_of(self.request), **data)
