from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """Alerts, the outbox, email, webhooks, digests and the calendar feed."""

    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        # The core sends these on commit. They only wake the outbox early: the scan reads
        # the unprocessed timeline rows (and recent licences) anyway, so a lost signal
        # delays an alert by at most one scan interval and loses nothing.
        from licensing.signals import application_status_changed, licence_created

        from .tasks import wake

        application_status_changed.connect(wake, dispatch_uid="notifications.wake.status")
        licence_created.connect(wake, dispatch_uid="notifications.wake.licence")
