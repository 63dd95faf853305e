"""GET /api/v1/analytics/delays/ (routed here by a test-only URL module)."""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from licensing.models import ApplicationStatus

from .conftest import make_decided

S = ApplicationStatus
D = dt.date
URL = "/api/v1/analytics/delays/"


@pytest.fixture
def history(items, suppliers):
    a, b = suppliers["a"], suppliers["b"]
    make_decided(supplier=a, items=[items["dy"]], accepted_on=D(2025, 6, 10), working_days=10)
    make_decided(supplier=a, items=[items["dy"], items["dy"]], accepted_on=D(2025, 7, 10), working_days=20)
    make_decided(supplier=a, items=[items["tb"]], accepted_on=D(2025, 8, 10), working_days=60, status=S.REJECTED)
    make_decided(supplier=b, items=[items["dy"]], accepted_on=D(2025, 9, 10), working_days=40)


def client_for(user):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_it_groups_by_supplier_for_a_viewer(history, viewer, suppliers):
    response = client_for(viewer).get(URL, {"group_by": "supplier"})
    assert response.status_code == 200
    body = response.json()
    assert body["group_by"] == "supplier"
    alpha, beta = body["results"]
    assert (alpha["key"], alpha["label"], alpha["count"]) == (str(suppliers["a"].pk), "Alpha Rare Earth", 3)
    assert alpha["working_days_median"] == 20
    assert alpha["approval_rate"] == pytest.approx(2 / 3)
    assert alpha["within_statutory_share"] == pytest.approx(2 / 3)
    assert beta["count"] == 1


def test_filters_are_those_of_the_applications_list(history, viewer, suppliers):
    client = client_for(viewer)
    (row,) = client.get(URL, {"supplier": suppliers["a"].pk}).json()["results"]
    assert row["count"] == 3
    (row,) = client.get(URL, {"item": "DY-OX"}).json()["results"]
    assert row["count"] == 3  # the application with two Dy lines counts once
    (row,) = client.get(URL, {"status": "rejected"}).json()["results"]
    assert row["count"] == 1
    params = {"accepted_on_after": "2025-07-01", "accepted_on_before": "2025-08-31", "group_by": "month"}
    assert [r["key"] for r in client.get(URL, params).json()["results"]] == ["2025-07", "2025-08"]


def test_a_bad_group_by_names_the_parameter(viewer):
    response = client_for(viewer).get(URL, {"group_by": "colour"})
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["attr"] == "group_by" and "colour" in error["detail"]


def test_a_bad_filter_names_the_parameter(viewer):
    response = client_for(viewer).get(URL, {"accepted_on_after": "yesterday"})
    assert response.status_code == 400
    assert [e["attr"] for e in response.json()["errors"]] == ["accepted_on"]


def test_outsiders_and_anonymous_are_refused(outsider):
    assert client_for(outsider).get(URL).status_code == 403
    assert client_for(None).get(URL).status_code in (401, 403)


def test_one_query_for_the_figures(history, viewer, django_assert_num_queries, settings):
    client = client_for(viewer)
    throttle = 0 if settings.API_THROTTLE_REDIS_URL else 1  # counted in the database without Redis
    with django_assert_num_queries(2 + throttle):  # the role (groups) + the grouped figures
        response = client.get(URL, {"group_by": "element"})
    assert response.status_code == 200


def test_the_schema_documents_the_endpoint(viewer):
    response = client_for(viewer).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    operation = response.json()["paths"][URL]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"group_by", "supplier", "status", "item", "accepted_on_after", "accepted_on_before"} <= names


def test_an_erp_reads_the_analytics_with_a_read_key(suppliers):
    from tests.api.conftest import key_client

    response = key_client("read", "analytics-reader").get(URL, {"group_by": "supplier"})
    assert response.status_code == 200
    assert response.json()["group_by"] == "supplier"
