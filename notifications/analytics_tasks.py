"""Celery tasks for the analytics (DESIGN §4.3): thin wrappers, no rules here.

The lead wires them into the beat schedule and wakes ``analytics_refresh`` when a decision
lands (``application_status_changed`` to approved or rejected). Each is idempotent: running
twice, or twice at once, computes the same columns from the same data.
"""

from __future__ import annotations

from celery import shared_task

from licensing.predictions import predictions_refresh
from suppliers.risk import purchase_orders_refresh_risk


@shared_task(name="notifications.predictions_refresh")
def predictions_refresh_task() -> int:
    """Recompute the predicted decision of every open application."""
    return predictions_refresh()


@shared_task(name="notifications.purchase_orders_refresh_risk")
def purchase_orders_refresh_risk_task() -> int:
    """Recompute at_risk and expected_arrival of every open purchase order."""
    return purchase_orders_refresh_risk()


@shared_task(name="notifications.analytics_refresh")
def analytics_refresh_task() -> dict[str, int]:
    """Both, in the order the at-risk rule needs: it reads the predictions just stored."""
    return {"predictions": predictions_refresh(), "purchase_orders": purchase_orders_refresh_risk()}
