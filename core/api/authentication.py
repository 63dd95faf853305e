"""``Authorization: Token <key>`` for ERP clients (docs/architecture.md#api).

``request.user`` stays anonymous for a key and ``request.auth`` is the ``ApiKey``: services
then record no user, and views pass ``api_client=<key name>`` so the timeline says which
integration made the step (``ApplicationEvent.api_client``).
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from core.models import ApiKey

from .keys import api_key_for, api_key_touch


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None  # not ours: session authentication may apply
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Give the header as 'Authorization: Token <key>'.")
        try:
            raw = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed("The API key is not valid.") from None
        key = api_key_for(raw)
        if key is None:
            raise exceptions.AuthenticationFailed("The API key is not valid or has been revoked.")
        api_key_touch(key)
        return AnonymousUser(), key

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (not 403) to a request without credentials.
        return self.keyword


def api_key_of(request) -> ApiKey | None:
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, ApiKey) else None


def actor_of(request):
    """The user a service should record (None for an API key)."""
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def api_client_of(request) -> str:
    key = api_key_of(request)
    return key.name if key else ""


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "core.api.authentication.ApiKeyAuthentication"
    name = "apiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <key>`; create a key with `python manage.py create_api_key NAME --scope write`.",
        }
