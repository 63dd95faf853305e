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
    return time_machine.travel(dt.datetime(year, month, day, hour, tzinfo=dt.UTC), tick=False)


@pytest.fixture
def subscribers(viewer, compliance):
    """Two people with a role and an email address, on default preferences."""
    return [viewer, compliance]


class FlakyBackend:
    """An email backend that refuses the first ``failures`` messages with an SMTP reply code."""

    failures = 0
    code = 451
    sent: list = []

    def __init__(self, *args, **kwargs):
        pass

    def open(self):
        return True

    def close(self):
        pass

    def send_messages(self, messages):
        import smtplib

        if FlakyBackend.failures > 0:
            FlakyBackend.failures -= 1
            raise smtplib.SMTPDataError(FlakyBackend.code, b"Try again later" if FlakyBackend.code < 500 else b"No")
        FlakyBackend.sent.extend(messages)
        return len(messages)


@pytest.fixture
def flaky_mail(settings):
    settings.EMAIL_BACKEND = "tests.notifications.conftest.FlakyBackend"
    settings.ALERT_RETRY_BASE = 1
    FlakyBackend.failures, FlakyBackend.code, FlakyBackend.sent = 0, 451, []
    return FlakyBackend


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The personas get passwords; the production hasher takes ~1 s per user by design."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def live_application(steps, *, actor=None, created=(2025, 8, 29)):
    """An application entered before its steps and moved on each step's day, as a team that
    records as it goes would: its steps are news (a back-loaded history alerts nobody)."""
    from licensing import services as licensing_services
    from tests.factories import SupplierFactory

    with at(*created):
        app = licensing_services.application_create(
            supplier=SupplierFactory(), end_user="X", destination_country="DE", actor=actor
        )
    for to, on in steps:
        day = dt.date.fromisoformat(on)
        with at(day.year, day.month, day.day):
            licensing_services.application_transition(application=app, to=to, on=day, actor=actor)
    return app
