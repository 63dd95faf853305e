"""Celery tasks of shipments (discovered by ``config.celery``): thin, they call the services.

Each is idempotent: running twice, or twice at once, computes the same columns from the same
data."""

from __future__ import annotations

import logging

from celery import shared_task
from django.core.cache import cache

from licensing.predictions import predictions_refresh

from .risk import purchase_orders_refresh_risk

log = logging.getLogger(__name__)

# A burst of decisions (an ERP back-loading a year) queues one refresh at the window's end.
ANALYTICS_WAKE_WINDOW = 30  # seconds
ANALYTICS_WAKE_KEY = "shipments:analytics-wake"


@shared_task(name="shipments.tasks.purchase_orders_refresh_risk")
def purchase_orders_refresh_risk_task() -> int:
    """Recompute at_risk and expected_arrival of every open purchase order."""
    return purchase_orders_refresh_risk()


@shared_task(name="shipments.tasks.analytics_refresh")
def analytics_refresh_task() -> dict[str, int]:
    """Predictions, then purchase orders at risk: the at-risk rule reads the predictions just stored."""
    return {"predictions": predictions_refresh(), "purchase_orders": purchase_orders_refresh_risk()}


def refresh_analytics_on_decision(*, event=None, **_kwargs) -> None:
    """Receiver of ``application_status_changed``: a decision changes the delay distribution,
    so predictions and purchase orders at risk are recomputed soon (debounced). Best effort:
    the hourly beat entry recomputes them anyway."""
    if event is None or event.to_status not in ("approved", "rejected"):
        return
    try:
        if cache.add(ANALYTICS_WAKE_KEY, 1, timeout=ANALYTICS_WAKE_WINDOW):
            analytics_refresh_task.apply_async(countdown=ANALYTICS_WAKE_WINDOW)
    except Exception:
        log.warning("could not queue the analytics refresh; the hourly run will do it", exc_info=True)
