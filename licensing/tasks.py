"""Celery tasks of licensing (discovered by ``config.celery``): thin, they call the services."""

from celery import shared_task

from .predictions import predictions_refresh


@shared_task(name="licensing.tasks.predictions_refresh")
def predictions_refresh_task() -> int:
    """Recompute the predicted decision of every open application."""
    return predictions_refresh()
