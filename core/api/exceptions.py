"""One error shape for every error (docs/architecture.md#api)::

    {"type": "validation_error" | "client_error" | "server_error",
     "errors": [{"code": "...", "detail": "...", "attr": "lines[0].quantity" | null}]}

``attr`` names the field in the request body (nested as ``lines[0].quantity``, bulk rows as
``[3].lines[0].quantity``) or the query parameter; null when no single field is to blame.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import integrity_error

logger = logging.getLogger(__name__)

NON_FIELD = {"non_field_errors", "__all__", None, ""}


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The resource has changed since you read it: fetch it again and retry with the new ETag."
    default_code = "precondition_failed"


class Unprocessable(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "The request cannot be processed."
    default_code = "unprocessable"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state."
    default_code = "conflict"


def _join(prefix: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{prefix}[{key}]"
    if key in NON_FIELD:
        return prefix
    return f"{prefix}.{key}" if prefix else str(key)


def flatten(detail: Any, prefix: str = "") -> list[dict[str, Any]]:
    """DRF's nested error detail as a flat list with dotted/indexed ``attr`` paths."""
    out: list[dict[str, Any]] = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            out += flatten(value, _join(prefix, key))
    elif isinstance(detail, list):
        if all(isinstance(v, str) for v in detail):
            for v in detail:
                out.append(_entry(v, prefix))
        else:
            for i, value in enumerate(detail):
                if value:  # an empty dict is a list row without errors
                    out += flatten(value, _join(prefix, i) if isinstance(value, (dict, list)) else prefix)
    else:
        out.append(_entry(detail, prefix))
    return out


def _entry(detail: Any, attr: str) -> dict[str, Any]:
    code = getattr(detail, "code", None) or "invalid"
    return {"code": str(code), "detail": str(detail), "attr": attr or None}


def django_errors(exc: DjangoValidationError) -> list[dict[str, Any]]:
    """A Django ValidationError (DomainError, ConflictError) as error entries; message_dict keys
    (``lines[0].quantity``, ``__all__``) become ``attr``."""
    out = []
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            for error in errors:
                for message in error.messages if hasattr(error, "messages") else [str(error)]:
                    out.append(
                        {
                            "code": error.code or "invalid",
                            "detail": message,
                            "attr": None if field in NON_FIELD else field,
                        }
                    )
    else:
        for error in exc.error_list:
            out.append({"code": error.code or "invalid", "detail": error.messages[0], "attr": None})
    return out


def error_response(status_code: int, errors: list[dict[str, Any]], headers: dict | None = None) -> Response:
    if status_code >= 500:
        kind = "server_error"
    elif status_code in (400, 422):
        kind = "validation_error"
    else:
        kind = "client_error"
    return Response({"type": kind, "errors": errors}, status=status_code, headers=headers)


def _integrity(exc: IntegrityError) -> Response:
    """A constraint the database refused (a race, a bulk write): the field and the message in
    plain words that full_clean gives (core.errors.integrity_error); a duplicate key 409, other
    rules 400, never a 500 or the constraint's name."""
    error = integrity_error(exc)
    return error_response(error.status_code, django_errors(error))


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        return error_response(getattr(exc, "status_code", 400), django_errors(exc))
    if isinstance(exc, RequestDataTooBig):  # a body without Content-Length (chunked) over the limit
        return error_response(413, [{"code": "too_large", "detail": "The body is too large.", "attr": None}])
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, (ProtectedError, RestrictedError)):
        objects = getattr(exc, "protected_objects", None) or getattr(exc, "restricted_objects", ())
        names = sorted({str(obj._meta.verbose_name_plural) for obj in objects if hasattr(obj, "_meta")})
        return error_response(
            409,
            [
                {
                    "code": "protected",
                    "detail": f"Still in use by {', '.join(names) or 'other records'}: it cannot be deleted.",
                    "attr": None,
                }
            ],
        )
    elif isinstance(exc, IntegrityError):  # after ProtectedError, which is one
        logger.info("IntegrityError answered as a client error: %s", exc)
        return _integrity(exc)
    elif isinstance(exc, DataError):
        logger.warning("DataError answered as 400: %s", exc)
        return error_response(
            400, [{"code": "invalid", "detail": "A value is out of range or malformed.", "attr": None}]
        )

    response = drf_exception_handler(exc, context)
    if response is None:
        logger.exception("Unhandled error in the API", exc_info=exc)
        return error_response(500, [{"code": "error", "detail": "A server error occurred.", "attr": None}])
    headers = {k: v for k, v in response.items() if k in ("WWW-Authenticate", "Retry-After", "Allow")}
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten(exc.detail)
    else:
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        if isinstance(detail, (dict, list)):
            errors = flatten(detail)
        else:
            errors = [{"code": codes if isinstance(codes, str) else "error", "detail": str(detail), "attr": None}]
    return error_response(response.status_code, errors, headers)


def _api_error(code: str, detail: str, status_code: int) -> JsonResponse:
    return JsonResponse(
        {"type": "client_error" if status_code < 500 else "server_error",
         "errors": [{"code": code, "detail": detail, "attr": None}]},
        status=status_code,
    )


def not_found(request, exception=None):
    """handler404: the API's error shape for /api/ paths that match no route, Django's page
    elsewhere (an ERP parsing JSON should never receive an HTML page)."""
    if request.path.startswith("/api/"):
        return _api_error("not_found", f"No API resource at {request.path}.", 404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """handler500: the error shape for /api/ paths, Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return _api_error("error", "A server error occurred.", 500)
    return defaults.server_error(request)
