"""End-to-end fixtures: a real Celery worker process on a real Redis broker, against the
committed test database on PostgreSQL, sending to real servers on 127.0.0.1.

Select with ``-m e2e``. Needs PostgreSQL (a worker process cannot share pytest's SQLite test
database: an in-memory one is invisible to other processes, a file one is locked by the test
transaction) and Redis; skips saying so when either is missing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app

BASE_DIR = Path(__file__).resolve().parents[2]
E2E_REDIS_DB = os.environ.get("E2E_REDIS_DB", "4")
# Short on purpose: a killed worker's messages come back after VISIBILITY seconds, and a row
# it left "sending" may be claimed again after CLAIM seconds (the tasks here take milliseconds).
VISIBILITY = 10
CLAIM = 3


def _redis_url() -> str:
    base = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    return base.rsplit("/", 1)[0] + f"/{E2E_REDIS_DB}"


@pytest.fixture
def e2e_services(transactional_db):
    """Skip unless PostgreSQL and Redis answer; an empty broker db for this test."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL): a Celery worker process cannot share pytest's SQLite "
                    "test database (in memory, or locked by the test's transaction)")
    import redis

    url = _redis_url()
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2)
        client.ping()
    except redis.exceptions.RedisError:
        pytest.skip(f"needs Redis at {url} (set REDIS_URL; E2E_REDIS_DB picks the db number)")
    client.flushdb()
    return url


@pytest.fixture
def broker(e2e_services, settings):
    """Point this process's Celery publisher at the e2e broker for the test."""
    url = e2e_services
    old = (celery_app.conf.broker_url, celery_app.conf.broker_transport_options)
    celery_app.conf.broker_url = url
    celery_app.conf.broker_transport_options = {"visibility_timeout": VISIBILITY}
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    settings.ALERT_MAX_COUNTDOWN = VISIBILITY - 1
    settings.ALERT_CLAIM_TIMEOUT = CLAIM
    yield url
    celery_app.conf.broker_url, celery_app.conf.broker_transport_options = old
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def _database_url() -> str:
    db = connection.settings_dict
    user, host, port = db.get("USER") or "postgres", db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


def worker_env(broker_url: str, email_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "ALERT_", "PYTEST"))}
    env.update({
        "DATABASE_URL": _database_url(),  # pytest-django's test_<name> database, committed data
        "REDIS_URL": broker_url,
        "CELERY_BROKER_URL": broker_url,
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY),
        "CELERY_UNACKED_RESTORE_INTERVAL": "1",
        "CELERY_UNACKED_RESTORE_THROTTLE": "1",
        "ALERT_CLAIM_TIMEOUT": str(CLAIM),
        "WEBHOOK_ALLOW_HTTP": "true",  # the receiver is http://127.0.0.1
        "WEBHOOK_ALLOW_PRIVATE": "true",
        "ALERT_RETRY_BASE": "1",
        "EMAIL_URL": email_url,
        "SECRET_KEY": settings.SECRET_KEY,
        "CONN_MAX_AGE": "0",
        "SITE_URL": settings.SITE_URL,
        "DJANGO_SETTINGS_MODULE": "config.settings",
    })
    return env


class Worker:
    """``celery -A config worker`` in its own process group, so SIGKILL takes its children too.
    With ``beat`` it also runs the beat (``-B``), so the sweeper runs as in production."""

    def __init__(self, env: dict[str, str], log: Path, name: str, concurrency: int = 2, beat: bool = False) -> None:
        self.log = log
        self.handle = log.open("ab")
        extra = ["-B", "--schedule", str(log.parent / f"{name}-beat-schedule")] if beat else []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "scans,celery", "--pool", "prefork",
             "--concurrency", str(concurrency), "--loglevel", "INFO", "--without-gossip", "--without-mingle",
             "--without-heartbeat", "-n", f"{name}@%h", *extra],
            cwd=BASE_DIR, env=env, stdout=self.handle, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while " ready." not in log.read_text(errors="replace"):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"The Celery worker did not start:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL to the whole group: no shutdown, no acknowledgements, as in a crash."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.handle.close()


@pytest.fixture
def start_worker(broker, tmp_path):
    """Start workers on demand (``start_worker(email_url)``); all stopped after the test."""
    workers: list[Worker] = []

    def start(email_url: str, concurrency: int = 2, default_recovery: bool = False) -> Worker:
        """``default_recovery``: the production claim timeout and the beat's sweeper (every
        ALERT_SWEEP_SECONDS), instead of the short claim timeout the other tests use."""
        env = worker_env(broker, email_url)
        if default_recovery:
            env.pop("ALERT_CLAIM_TIMEOUT")
        worker = Worker(env, tmp_path / "worker.log", f"e2e{len(workers)}", concurrency=concurrency,
                        beat=default_recovery)
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


def wait_for(predicate, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"Timed out after {timeout:.0f} s waiting for {what}")


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The personas get passwords; the production hasher takes ~1 s per user by design."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
