"""OpenAPI pieces shared by every resource: the error shape, the headers, error responses."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers


class ErrorItemSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Machine-readable, e.g. `required`, `overdraw`, `not_found`.")
    detail = serializers.CharField(help_text="For people: what is wrong and how to fix it.")
    attr = serializers.CharField(
        allow_null=True,
        help_text="The field: `lines[0].quantity`, bulk rows as `[3].lines[0].quantity`; null for the whole request.",
    )


class ErrorSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["validation_error", "client_error", "server_error"])
    errors = ErrorItemSerializer(many=True)


DESCRIPTIONS = {
    400: "Bad input: every error names its field in `attr`.",
    401: "No credentials, or an API key that is unknown or revoked.",
    403: "The key's scope or the user's role does not allow this.",
    404: "Not found (or a page past the end).",
    409: "Conflicts with the current state (a refused transition, an over-draw, a duplicate key).",
    412: "`If-Match` names an older version: fetch the resource again.",
    413: "The body is larger than the server accepts.",
    414: "The URI (path and query) is longer than the server accepts.",
    422: "The `Idempotency-Key` was used with another request.",
    429: "Too many requests for this key: see `Retry-After`.",
}

# Any request can carry a URI that is too long (414); any write a body that is too large (413).
READ = (400, 401, 403, 404, 414, 429)
WRITE = (400, 401, 403, 404, 409, 412, 413, 414, 422, 429)


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: OpenApiResponse(ErrorSerializer, description=DESCRIPTIONS[code]) for code in codes}


IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The ETag you read; the write answers 412 if the resource changed since.",
)
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Any unique string (a UUID): a repeat with the same key and body returns the first answer "
    "and creates nothing; the same key with another body answers 422. Kept 24 hours.",
)

DELETED = OpenApiResponse(description="Deleted.")
EXTERNAL_REF = OpenApiParameter(
    "external_ref", OpenApiTypes.STR, OpenApiParameter.PATH, description="The ERP's key for the record."
)


def crud_schema(
    name: str, output, input_=None, *, by_ref: bool = False, destroy: bool = True, create=None
) -> dict:
    """The extend_schema_view arguments of a CRUD resource; ``create`` is the body of a POST
    when it needs more than an update does (the view's ``create_serializer_class``)."""
    views = {
        "list": extend_schema(summary=f"List {name}s", responses={200: output, **errors(*READ)}),
        "retrieve": extend_schema(summary=f"A {name}", responses={200: output, **errors(*READ)}),
        "create": extend_schema(
            summary=f"Create a {name}",
            request=create or input_,
            parameters=[IDEMPOTENCY_KEY],
            responses={201: output, **errors(*WRITE)},
        ),
        "update": extend_schema(
            summary=f"Replace a {name}",
            request=input_,
            parameters=[IF_MATCH],
            responses={200: output, **errors(*WRITE)},
        ),
        "partial_update": extend_schema(
            summary=f"Change a {name}", request=input_, parameters=[IF_MATCH], responses={200: output, **errors(*WRITE)}
        ),
    }
    if destroy:
        views["destroy"] = extend_schema(
            summary=f"Delete a {name}", parameters=[IF_MATCH], responses={204: DELETED, **errors(*WRITE)}
        )
    if by_ref:
        views["by_ref"] = extend_schema(
            summary=f"Create (201) or update (200) a {name} by the ERP's key",
            request=input_,
            parameters=[EXTERNAL_REF, IF_MATCH],
            responses={200: output, 201: output, **errors(*WRITE)},
        )
    return views


_ETAG = OpenApiParameter(
    "ETag", OpenApiTypes.STR, OpenApiParameter.HEADER, response=[200, 201],
    description="The version of the record in this answer: send it back in `If-Match`.",
)
_REPLAYED = OpenApiParameter(
    "Idempotent-Replayed", OpenApiTypes.STR, OpenApiParameter.HEADER, response=[200, 201],
    description="`true` when this is the stored answer to an earlier request with the same `Idempotency-Key`.",
)
_RETRY_AFTER = OpenApiParameter(
    "Retry-After", OpenApiTypes.INT, OpenApiParameter.HEADER, response=[429],
    description="Seconds until the key's request budget allows another request.",
)
_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The record's id.")


class ApiAutoSchema(AutoSchema):
    """drf-spectacular's schema plus what every resource shares: ids in paths are integers
    (the lookup accepts any segment so that a bad id is a JSON 404, which would otherwise type
    them as strings), and the response headers ``ETag``, ``Idempotent-Replayed`` and
    ``Retry-After`` are declared where they are sent."""

    def get_override_parameters(self):
        params = list(super().get_override_parameters())
        if "{id}" in self.path:
            params.append(_ID)
        method = self.method.upper()
        single = "{" in self.path or method in ("POST", "PUT", "PATCH")
        if single and not self._is_list_view() and method != "DELETE":
            params.append(_ETAG)
        if method == "POST":
            params.append(_REPLAYED)
        params.append(_RETRY_AFTER)
        return params
