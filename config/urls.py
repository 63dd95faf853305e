"""The URL map (docs/architecture.md#api, #ui). Each app owns its pages and its API routes."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/v1/", include("core.api.urls")),
    path("api/v1/", include("licensing.api.urls")),
    path("api/v1/", include("shipments.api.urls")),
    path("api/v1/", include("exposure.api.urls")),
    path("api/v1/", include("notifications.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    # Secret-link endpoints that work without a session (ICS feed, one-click unsubscribe).
    path("notifications/", include("notifications.public_urls")),
    path("settings/api-keys/", include("core.keys_urls")),
    # UI pages (docs/architecture.md#ui).
    path("", include("licensing.urls")),
    path("", include("shipments.urls")),
    path("", include("exposure.urls")),
    path("", include("notifications.urls")),
    path("", include("portal.urls")),
    path("", include("core.urls")),
]

# JSON errors for /api/ paths that no route matches (docs/architecture.md#api: one error shape for all errors).
handler404 = "core.api.exceptions.not_found"
handler500 = "core.api.exceptions.server_error"
