"""Throttling per API key (and per user for sessions), rates in settings
(``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``): ``api_key`` and ``api_user`` for every
call, ``api_bulk`` in addition for the bulk endpoints, which do 10,000 rows' work.

Requests are counted in fixed windows (a minute for ``/min``) with one atomic operation per
request, so that concurrent requests cannot all read the same count and all pass (DRF's
SimpleRateThrottle reads a list from the cache and writes it back: 12 connections got 1,320
requests through a limit of 1,200). With ``REDIS_URL`` the count is a Redis ``INCR`` on a key
per window that expires after it; without Redis it is a row per key in the database, bumped by
one ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING count`` (core.models.ThrottleCounter).
"""

from __future__ import annotations

import threading
import time

from django.conf import settings
from django.db import connection
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from .authentication import api_key_of

_redis_clients: dict[str, object] = {}
_redis_lock = threading.Lock()


def _redis(url: str):
    """One client (with its connection pool: a connection per concurrent thread) per URL."""
    with _redis_lock:
        if url not in _redis_clients:
            import redis

            _redis_clients[url] = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        return _redis_clients[url]


def throttle_hit(key: str, limit: int, duration: int, *, now: float | None = None) -> tuple[bool, int]:
    """Count one request for ``key`` in the current window: (allowed, seconds until the window
    ends). At most ``limit`` requests a window are allowed, however many arrive at once."""
    now = time.time() if now is None else now
    window = int(now // duration)
    wait = max(1, int((window + 1) * duration - now))
    url = settings.API_THROTTLE_REDIS_URL
    key = f"{settings.API_THROTTLE_PREFIX}:{key}"
    if url:
        name = f"{key}:{window}"
        pipe = _redis(url).pipeline()
        pipe.incr(name)
        pipe.expire(name, duration + 1)
        count, _ = pipe.execute()
        return count <= limit, wait
    return _db_hit(key, limit, window), wait


_UPSERT = """
INSERT INTO core_throttlecounter (key, period, count) VALUES (%s, %s, 1)
ON CONFLICT (key) DO UPDATE SET
    count = CASE WHEN core_throttlecounter.period = excluded.period THEN core_throttlecounter.count + 1 ELSE 1 END,
    period = excluded.period
RETURNING count
"""


def _db_hit(key: str, limit: int, window: int) -> bool:
    """One statement (PostgreSQL and SQLite 3.35+): insert the key's row, or count on it,
    restarting at 1 in a new window. The conflicting row is locked while it is updated, so
    concurrent requests each get their own count."""
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT, [key, window])
        (count,) = cursor.fetchone()
    return count <= limit


class ApiThrottle(BaseThrottle):
    scope = "api_key"
    _wait = None

    def get_rate(self):
        # Read at each request (not frozen at import like DRF's THROTTLE_RATES) so that
        # settings overrides apply.
        from rest_framework.settings import api_settings

        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def choose_scope(self, request) -> str:
        return "api_key" if api_key_of(request) else "api_user"

    def allow_request(self, request, view):
        self.scope = self.choose_scope(request)
        rate = self.get_rate()
        if rate is None:
            return True
        limit, duration = SimpleRateThrottle.parse_rate(None, rate)
        allowed, self._wait = throttle_hit(self.get_cache_key(request), limit, duration)
        return allowed

    def get_cache_key(self, request) -> str:
        key = api_key_of(request)
        if key is not None:
            ident = f"key{key.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user{request.user.pk}"
        else:
            ident = self.get_ident(request)
        return f"{self.scope}:{ident}"

    def wait(self):
        return self._wait


class BulkThrottle(ApiThrottle):
    def choose_scope(self, request) -> str:
        return "api_bulk"
