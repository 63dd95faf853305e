"""Throttles counted atomically: many connections at once get exactly the limit through,
whether the counts live in Redis (INCR) or in the database (a conditional UPDATE)."""

from __future__ import annotations

import os
import threading

import pytest
from django.db import connection

from core.api.throttling import throttle_hit

from .conftest import key_client

CONNECTIONS = 12
EACH = 5  # 60 requests against a limit of 20
LIMIT = 20


def _redis_url() -> str:
    base = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    return base.rsplit("/", 1)[0] + "/" + os.environ.get("THROTTLE_TEST_REDIS_DB", "3")


def _redis_answers() -> bool:
    try:
        import redis

        redis.Redis.from_url(_redis_url(), socket_connect_timeout=1).ping()
    except Exception:  # any failure means no Redis to test against
        return False
    return True


def _hammer(call) -> list:
    barrier = threading.Barrier(CONNECTIONS)
    results: list = []
    lock = threading.Lock()

    def run() -> None:
        try:
            barrier.wait()
            for _ in range(EACH):
                outcome = call()
                with lock:
                    results.append(outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(CONNECTIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results) == CONNECTIONS * EACH
    return results


@pytest.mark.redis
@pytest.mark.skipif(not _redis_answers(), reason="needs Redis on 127.0.0.1:6379 (REDIS_URL)")
def test_redis_counts_let_exactly_the_limit_through_from_many_connections(settings):
    settings.API_THROTTLE_REDIS_URL = _redis_url()
    # Each thread takes its own connection from the client's pool while the others hold theirs.
    results = _hammer(lambda: throttle_hit("concurrency", LIMIT, 60, now=1_000_020.0)[0])
    assert results.count(True) == LIMIT
    # The next window starts from zero.
    assert throttle_hit("concurrency", LIMIT, 60, now=1_000_080.0)[0] is True


@pytest.mark.postgres
def test_database_counts_let_exactly_the_limit_through_over_http(requires_postgres, transactional_db, settings):
    settings.API_THROTTLE_REDIS_URL = ""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "api_key": f"{LIMIT}/hour"},
    }
    client = key_client("read", "sap-burst")
    raw = client.raw_key
    local = threading.local()

    def call() -> int:
        # A client (so a database connection) per thread, as separate HTTP connections would be.
        if not hasattr(local, "client"):
            from rest_framework.test import APIClient

            local.client = APIClient()
            local.client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
        return local.client.get("/api/v1/items/").status_code

    statuses = _hammer(call)
    assert statuses.count(200) == LIMIT and statuses.count(429) == CONNECTIONS * EACH - LIMIT


def test_database_counts_hold_the_limit_and_restart_each_window(db, settings):
    settings.API_THROTTLE_REDIS_URL = ""
    hits = [throttle_hit("seq", 3, 60, now=600.0 + i)[0] for i in range(5)]
    assert hits == [True, True, True, False, False]
    allowed, wait = throttle_hit("seq", 3, 60, now=659.0)
    assert (allowed, wait) == (False, 1)
    assert throttle_hit("seq", 3, 60, now=660.0)[0] is True
