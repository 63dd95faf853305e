"""Celery tasks of the core plumbing (discovered by ``config.celery``): thin, they call services."""

from celery import shared_task

from .api.idempotency import idempotency_records_purge


@shared_task(name="core.tasks.purge_idempotency_records")
def purge_idempotency_records() -> int:
    """Forget Idempotency-Key answers older than the promised 24 hours (daily, from beat)."""
    return idempotency_records_purge()
