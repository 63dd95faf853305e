"""The production configuration README.md describes passes ``check --deploy`` with no issue,
and its security settings come from the environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/not-contacted",
    "SECRET_KEY": "x7Hk2mQ9vLp4Zr8Tn3Wc6Yb1Fd5Gs0Ja" * 2,
    "ALLOWED_HOSTS": "tracker.example.com",
    "SITE_URL": "https://tracker.example.com",
    "SECURE_HSTS_PRELOAD": "true",
}


def _run(args: list[str], **extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SECURE_", "DATABASE_", "REDIS_", "DEFAULT_FROM"))
           # set by the browser tests' fixtures for Playwright; never in a deployment
           and k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(PRODUCTION, **extra)
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_check_deploy_is_clean_in_the_production_configuration():
    done = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"])
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_hsts_and_the_ssl_redirect_are_set_from_the_environment_and_the_sender_is_no_localhost():
    show = ["-c", "import django,os;os.environ['DJANGO_SETTINGS_MODULE']='config.settings';django.setup();"
            "from django.conf import settings as s;"
            "print(s.SECURE_SSL_REDIRECT,s.SECURE_HSTS_SECONDS,s.DEFAULT_FROM_EMAIL)"]
    assert _run(show).stdout.split() == ["True", "31536000", "Rare-earth", "licence", "tracker",
                                         "<alerts@tracker.example.com>"]
    assert _run(show, SECURE_SSL_REDIRECT="false", SECURE_HSTS_SECONDS="60").stdout.split()[:2] == ["False", "60"]
    assert "@localhost" not in _run(show, SITE_URL="http://127.0.0.1:8000").stdout
