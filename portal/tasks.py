"""Celery tasks of the supplier portal: thin shells around its services."""

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def send_reminders() -> int:
    """Beat, daily: reminder emails to supplier contacts whose applications went quiet."""
    return services.reminders_send()
