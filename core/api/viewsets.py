"""The shared base of every API resource (docs/architecture.md#api): authentication, permissions, pagination,
filtering with a stable order, throttling, ETag/If-Match, Idempotency-Key and the error shape.

A resource subclasses ``ApiViewSet`` (or ``ApiReadOnlyViewSet``), sets ``queryset`` /
``get_queryset``, ``serializer_class`` (the output), optionally ``input_serializer_class``, a
``filterset_class`` and ``ordering_fields``, and writes through its services::

    class WebhookViewSet(ApiViewSet):
        queryset = Webhook.objects.all()
        serializer_class = WebhookSerializer
        write_role = Role.ADMIN

        def perform_create(self, data):          # validated input -> instance
            return webhook_save(actor=actor_of(self.request), **data)
"""

from __future__ import annotations

import hashlib
import json

from django.db import transaction
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import mixins, status, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from core.errors import field_error
from core.roles import Role

from .authentication import ApiKeyAuthentication
from .exceptions import PreconditionFailed
from .fields import valid_id
from .filters import StableOrderingFilter
from .idempotency import Replay, idempotency_claim, idempotency_finish
from .pagination import ApiPagination
from .permissions import ApiPermission
from .throttling import ApiThrottle


def etag_of(data) -> str:
    """A strong ETag over the representation itself: any change a client could see (a line,
    a balance, a computed clock field) changes it, which a timestamp alone would miss."""
    body = json.dumps(data, cls=JSONEncoder, sort_keys=True, separators=(",", ":"))
    return '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'


def if_match_check_form(header: str) -> None:
    """An If-Match without any entity tag is malformed (RFC 9110 13.1.1): 400, not 412."""
    if not _tags(header):
        raise ValidationError({"If-Match": ["Give the ETag you read (or *), not an empty header."]})


def _tags(header: str) -> set[str]:
    return {t.strip().removeprefix("W/") for t in header.split(",") if t.strip()}


class ApiViewSet(viewsets.GenericViewSet):
    authentication_classes = [ApiKeyAuthentication, SessionAuthentication]
    permission_classes = [ApiPermission]
    pagination_class = ApiPagination
    throttle_classes = [ApiThrottle]
    filter_backends = [DjangoFilterBackend, StableOrderingFilter]
    ordering_fields = ["id", "created_at", "updated_at"]
    #: the role a session user needs to write (API keys need the write scope)
    write_role = Role.PROCUREMENT
    # Any path segment reaches the view, so a malformed id answers the JSON 404 of the error
    # shape rather than Django's HTML page.
    lookup_value_regex = "[^/]+"
    #: validates writes; ``serializer_class`` renders
    input_serializer_class = None
    _idempotency = None

    # --- plumbing -----------------------------------------------------------------------

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self._idempotency = idempotency_claim(request)

    def handle_exception(self, exc):
        if isinstance(exc, Replay):
            return exc.response
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        if self._idempotency is not None:
            record, self._idempotency = self._idempotency, None
            idempotency_finish(record, response)
        return super().finalize_response(request, response, *args, **kwargs)

    def get_object(self):
        lookup = self.lookup_url_kwarg or self.lookup_field
        if self.lookup_field in ("pk", "id") and valid_id(self.kwargs.get(lookup)) is None:
            raise NotFound()
        return super().get_object()

    def get_input_serializer(self, *args, serializer_class=None, **kwargs):
        cls = serializer_class or self.input_serializer_class or self.get_serializer_class()
        kwargs.setdefault("context", self.get_serializer_context())
        return cls(*args, **kwargs)

    def validated(self, data=None, *, instance=None, partial: bool = False, serializer_class=None) -> dict:
        """The request body validated by the input serializer (400 with every field's error)."""
        serializer = self.get_input_serializer(
            instance=instance,
            data=self.request.data if data is None else data,
            partial=partial,
            serializer_class=serializer_class,
        )
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def refetch(self, instance):
        """The instance again through ``get_queryset`` (its prefetches), after a write."""
        return self.get_queryset().get(pk=instance.pk)

    def represent(self, instance, *, status_code: int = status.HTTP_200_OK, headers: dict | None = None) -> Response:
        """The detail representation with its ETag."""
        data = self.get_serializer(instance).data
        response = Response(data, status=status_code, headers=headers)
        response["ETag"] = etag_of(data)
        return response

    def check_if_match(self, instance) -> None:
        """412 when ``If-Match`` names another version. Call it with the row locked, in the
        transaction of the write, so that two writers with the same ETag cannot both pass."""
        header = self.request.headers.get("If-Match")
        if header is None:
            return
        if_match_check_form(header)
        if header.strip() == "*":
            return
        if etag_of(self.get_serializer(instance).data).strip() not in _tags(header):
            raise PreconditionFailed()

    def locked_object(self):
        """The object, its row locked for this transaction (SELECT ... FOR UPDATE)."""
        obj = self.get_object()
        type(obj)._default_manager.select_for_update().filter(pk=obj.pk).values_list("pk", flat=True).first()
        return self.get_queryset().get(pk=obj.pk)


class ListMixin(mixins.ListModelMixin):
    pass


class RetrieveMixin:
    def retrieve(self, request, *args, **kwargs):
        return self.represent(self.get_object())


class CreateMixin:
    """POST: validate with ``create_serializer_class`` (when a creation needs more than an
    update, e.g. a shipment's lines) or the input serializer; ``perform_create(data)`` calls
    the service."""

    create_serializer_class = None

    def create(self, request, *args, **kwargs):
        data = self.validated(serializer_class=self.create_serializer_class)
        instance = self.perform_create(data)
        return self.represent(self.refetch(instance), status_code=status.HTTP_201_CREATED)

    def perform_create(self, data: dict):  # pragma: no cover - every resource defines it
        raise NotImplementedError


class UpdateMixin:
    """PUT/PATCH with If-Match; ``perform_update(instance, data)`` calls the service."""

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        with transaction.atomic():
            instance = self.locked_object()
            self.check_if_match(instance)
            data = self.validated(instance=instance, partial=partial)
            instance = self.perform_update(instance, data)
        return self.represent(self.refetch(instance))

    def partial_update(self, request, *args, **kwargs):
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)

    def perform_update(self, instance, data: dict):  # pragma: no cover
        raise NotImplementedError


class DestroyMixin:
    def destroy(self, request, *args, **kwargs):
        with transaction.atomic():
            instance = self.locked_object()
            self.check_if_match(instance)
            self.perform_destroy(instance)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def perform_destroy(self, instance) -> None:
        instance.delete()


class ByRefMixin:
    """``PUT <resource>/by-ref/<external_ref>/``: create (201) or update (200) by the ERP's key.

    The lookup locks the row, so an update and its If-Match check are atomic; two concurrent
    creations of the same new key end in one 201 and one 409 (the unique constraint).
    """

    @action(detail=False, methods=["put"], url_path=r"by-ref/(?P<external_ref>[^/]+)")
    def by_ref(self, request, external_ref: str):
        if not external_ref or len(external_ref) > 100 or "\x00" in external_ref:
            raise field_error("external_ref", "Give an external_ref of 1 to 100 characters.", code="invalid")
        model = self.get_queryset().model
        with transaction.atomic():
            existing = model._default_manager.select_for_update().filter(external_ref=external_ref).first()
            if "If-Match" in request.headers:
                if_match_check_form(request.headers["If-Match"])
            if existing is None:
                if request.headers.get("If-Match", "*").strip() != "*":
                    raise PreconditionFailed("If-Match names a version, but no record has this external_ref.")
                data = {**self.validated(), "external_ref": external_ref}
                instance, code = self.perform_create(data), status.HTTP_201_CREATED
            else:
                existing = self.get_queryset().get(pk=existing.pk)
                self.check_if_match(existing)
                data = {**self.validated(instance=existing), "external_ref": external_ref}
                instance, code = self.perform_update(existing, data), status.HTTP_200_OK
        return self.represent(self.refetch(instance), status_code=code)
