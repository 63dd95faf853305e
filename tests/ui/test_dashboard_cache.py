"""The dashboard's delay charts are cached until a decision is recorded: a bounded number of
queries at any data size, and never a figure older than the last decision."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from licensing import services as ls

from .test_query_counts import add_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def cached(settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": uuid.uuid4().hex}
    }
    settings.DELAY_STATS_CACHE_SECONDS = 600


def get(client):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/")
    assert response.status_code == 200
    return response, len(ctx.captured_queries)


def test_the_charts_are_cached_and_the_page_stays_bounded_at_any_size(scene, compliance, client, cached):
    client.force_login(compliance)
    _, first = get(client)
    _, again = get(client)
    assert again == first - 2  # the two delay aggregates came from the cache
    add_rows(scene, 8)
    _, bigger = get(client)
    assert bigger == again <= 18  # within the target of docs/benchmarks.md (20), whatever the data size


def test_a_recorded_decision_drops_the_cache(scene, compliance, client, cached, django_capture_on_commit_callbacks):
    client.force_login(compliance)
    before, _ = get(client)
    months = {row["label"]: row["value"] for row in before.context["by_month"]}
    with django_capture_on_commit_callbacks(execute=True):
        ls.application_transition(application=scene.apps["due"], to="approved", on=dt.date(2025, 12, 1))
    after, queries = get(client)
    assert queries <= 20  # the uncached page is within the target too
    assert {row["label"]: row["value"] for row in after.context["by_month"]} != months
    _, cached_again = get(client)
    assert cached_again == queries - 2
