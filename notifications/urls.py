"""UI pages of the notifications app (docs/architecture.md#ui)."""

from django.urls import path

from . import views

urlpatterns = [
    path("alerts/", views.inbox, name="alerts"),
    path("settings/notifications/", views.my_notifications, name="my-notifications"),
    path("settings/webhooks/", views.webhooks, name="webhooks"),
    path("settings/webhooks/<int:pk>/", views.webhook_detail, name="webhook-detail"),
]
