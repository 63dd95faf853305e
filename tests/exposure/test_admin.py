"""Admin: rates through the service (a refusal is a form error), products read-only."""

import pytest

from exposure.models import FxRate

from .helpers import build_rules


@pytest.fixture
def world(db):
    return build_rules()


def test_it_adds_a_rate_through_the_service_and_refuses_a_duplicate_on_the_form(client, admin_user, world):
    client.force_login(admin_user)
    data = {"currency": "EUR", "quote": "USD", "valid_from": "2026-01-01", "rate": "1.16", "source": "ECB"}
    response = client.post("/admin/exposure/fxrate/add/", data)
    assert response.status_code == 302
    assert FxRate.objects.get().currency == "EUR"
    again = client.post("/admin/exposure/fxrate/add/", data)
    assert again.status_code == 200 and FxRate.objects.count() == 1


def test_the_product_and_decision_pages_render(client, admin_user, world):
    client.force_login(admin_user)
    for url in ("/admin/exposure/product/", "/admin/licensing/pendingdecision/", "/admin/licensing/scenario/",
                f"/admin/licensing/pendingdecision/{world.decision.pk}/change/"):
        assert client.get(url).status_code == 200, url


def test_recording_the_outcome_in_the_admin_refreshes_the_items(client, admin_user, world, time_machine):
    import datetime as dt

    time_machine.move_to(dt.datetime(2026, 12, 3, 4, tzinfo=dt.UTC))
    client.force_login(admin_user)
    url = f"/admin/licensing/pendingdecision/{world.decision.pk}/change/"
    data = {"code": "no70", "title": "No. 70 ends", "scheduled_end": "2026-11-10", "event": world.expiry.pk,
            "outcome": "ends", "extended_until": "", "outcome_source": "MOFCOM"}
    assert client.post(url, data).status_code == 302
    world.ho.refresh_from_db()
    assert world.ho.licensing_required is True
    bad = client.post(url, {**data, "outcome": "extended"})
    assert bad.status_code == 200 and b"An extension needs the date it runs until." in bad.content
