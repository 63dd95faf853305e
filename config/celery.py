"""The Celery application. Tasks live in (or call into) ``notifications``."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("raretrack")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
