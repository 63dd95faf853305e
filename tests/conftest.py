"""Personas (docs/architecture.md#ui roles, plus an outsider without a role) and shared fixtures."""

import uuid

import pytest
from django.db import connection

from core.roles import Role

from .factories import UserFactory


@pytest.fixture(autouse=True)
def _throttle_isolation(settings):
    """Throttle counts in Redis (CI sets REDIS_URL) outlive a test and are shared by the
    parallel workers, whose databases reuse the same key ids: a prefix per test."""
    settings.API_THROTTLE_PREFIX = f"test-{uuid.uuid4().hex}"
    # Production settings (DATABASE_URL set, as in CI) redirect plain HTTP to HTTPS; the test
    # client speaks HTTP.
    settings.SECURE_SSL_REDIRECT = False
    # Webhook receivers in the tests listen on http://127.0.0.1 (tests of the policy unset these).
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOW_PRIVATE = True


@pytest.fixture
def viewer(db):
    return UserFactory(username="viewer", role=Role.VIEWER)


@pytest.fixture
def procurement(db):
    return UserFactory(username="procurement", role=Role.PROCUREMENT)


@pytest.fixture
def compliance(db):
    return UserFactory(username="compliance", role=Role.COMPLIANCE)


@pytest.fixture
def admin_user(db):
    return UserFactory(username="boss", role=Role.ADMIN, is_staff=True, is_superuser=True)


@pytest.fixture
def outsider(db):
    """Logged in, but holds no role: sees nothing."""
    return UserFactory(username="outsider")


@pytest.fixture
def requires_postgres(db):
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL: the test database is SQLite (DATABASE_URL is not set to PostgreSQL; "
            "make test uses 127.0.0.1:5432 when it answers)"
        )


@pytest.fixture(autouse=True)
def _no_delay_stats_cache(settings):
    """The dashboard's cached delay figures would outlive a test's rolled-back rows (and the
    cache may be shared between test processes): off, except where a test turns it on."""
    settings.DELAY_STATS_CACHE_SECONDS = 0
