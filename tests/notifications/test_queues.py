"""Scans (and the sweeping they do) run on their own queue, so a backlog of deliveries cannot
delay them; every worker the project starts consumes both queues."""

from __future__ import annotations

from pathlib import Path

from config.celery import app
from notifications import tasks

ROOT = Path(__file__).resolve().parents[2]


def test_scans_and_deliveries_are_routed_to_separate_queues():
    router = app.amqp.router
    assert router.route({}, tasks.scan.name)["queue"].name == "scans"
    assert router.route({}, tasks.send_digests.name)["queue"].name == "scans"
    assert router.route({}, tasks.sweep.name)["queue"].name == "scans"
    assert router.route({}, tasks.daily.name)["queue"].name == "scans"
    assert router.route({}, tasks.deliver_emails.name)["queue"].name == "celery"
    assert router.route({}, tasks.deliver_webhook.name)["queue"].name == "celery"


def test_every_worker_started_by_the_project_consumes_both_queues():
    for path in ("Procfile", "scripts/run", "tests/e2e/conftest.py"):
        text = (ROOT / path).read_text()
        assert "worker" in text and ("-Q scans,celery" in text or '"-Q", "scans,celery"' in text), path
