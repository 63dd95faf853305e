"""The Celery application. Each app keeps its tasks in its own ``tasks.py``, found by autodiscovery
(docs/architecture.md#tasks)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("raretrack")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
