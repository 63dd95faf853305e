from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """Alerts, the outbox, email, webhooks, digests and the calendar feed."""

    name = "notifications"
    verbose_name = "Notifications"
