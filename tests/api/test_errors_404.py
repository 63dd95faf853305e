"""A path under /api/ that matches no route still answers the API's error shape, not HTML."""

import pytest

pytestmark = pytest.mark.django_db


def test_an_unknown_api_path_answers_json_404(client):
    response = client.get("/api/v1/no-such-resource/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["errors"][0]["code"] == "not_found"


def test_an_unknown_page_outside_the_api_is_not_json(client):
    response = client.get("/no-such-page/")
    assert response.status_code in (302, 404)  # anonymous visitors may be sent to the login first
    assert response.get("Content-Type", "").startswith("text/html")
