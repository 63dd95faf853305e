"""Fixtures for the notifications tests: eager Celery, a clock in China, subscribers."""

import datetime as dt

import pytest
import time_machine

from config.celery import app as celery_app


@pytest.fixture(autouse=True)
def eager_celery():
    """Tasks run inline in unit tests (the end-to-end tests use a real worker instead)."""
    old = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = old


def at(year: int, month: int, day: int, hour: int = 4):
    """Travel to a moment; 04:00 UTC is noon in Shanghai, so clock.today() is that day."""
    return time_machine.travel(dt.datetime(year, month, day, hour, tzinfo=dt.timezone.utc), tick=False)


@pytest.fixture
def subscribers(viewer, compliance):
    """Two people with a role and an email address, on default preferences."""
    return [viewer, compliance]
