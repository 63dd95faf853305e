"""Request limits for ``/api/`` answered in the API's error shape before any view runs.

- A body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (the bulk endpoints' 10,000 rows fit well under
  it) is a 413; Django would otherwise raise ``RequestDataTooBig`` wherever the body is first
  read (the idempotency fingerprint), a 500.
- A URI over ``API_MAX_URI_LENGTH`` is a 414 (gunicorn answers longer request lines itself,
  in the same shape: config/gunicorn.conf.py).
"""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse


def api_error(status: int, code: str, detail: str, attr: str | None = None) -> JsonResponse:
    kind = "server_error" if status >= 500 else ("validation_error" if status in (400, 422) else "client_error")
    return JsonResponse({"type": kind, "errors": [{"code": code, "detail": detail, "attr": attr}]}, status=status)


class ApiLimitsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith("/api/"):
            refused = self.refuse(request)
            if refused is not None:
                return refused
        return self.get_response(request)

    @staticmethod
    def refuse(request) -> JsonResponse | None:
        uri_length = len(request.get_full_path())
        if uri_length > settings.API_MAX_URI_LENGTH:
            return api_error(
                414, "uri_too_long", f"The URI has {uri_length} characters; at most {settings.API_MAX_URI_LENGTH}."
            )
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return api_error(400, "invalid", "Content-Length is not a number.")
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and length > limit:
            return api_error(
                413, "too_large", f"The body has {length} bytes; at most {limit} (split a bulk call into several)."
            )
        return None
