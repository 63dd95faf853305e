"""Roles on every UI view (docs/architecture.md#ui): anonymous -> login, no role -> polite 403, viewer reads,
procurement edits, compliance also owns policy events and over-draw overrides."""

from __future__ import annotations

import pytest
from django.urls import URLPattern

from core.roles import Role
from licensing.models import LicenceApplication, PolicyEvent
from suppliers.models import Supplier

PERSONAS = ["viewer", "procurement", "compliance", "admin_user"]
RANK = {"viewer": 1, "procurement": 2, "compliance": 3, "admin_user": 4}
NEEDS = {Role.VIEWER: 1, Role.PROCUREMENT: 2, Role.COMPLIANCE: 3, Role.ADMIN: 4}


def ui_patterns():
    """Every UI route of licensing and suppliers (the API and admin have their own guards)."""
    from licensing import urls as licensing_urls
    from shipments import urls as suppliers_urls

    return [p for module in (licensing_urls, suppliers_urls) for p in module.urlpatterns if isinstance(p, URLPattern)]


def test_it_guards_every_ui_view_with_a_role():
    unguarded = [str(p.pattern) for p in ui_patterns() if not hasattr(p.callback, "required_role")]
    assert unguarded == []


def _urls(scene) -> dict[str, str]:
    """One concrete URL per route, naming real objects of the scene."""
    ids = {
        "application": scene.apps["due"].pk,
        "licence": scene.licences["long"].pk,
        "shipment": scene.shipments["late"].pk,
        "supplier": scene.suppliers["baotou"].pk,
        "purchase_order": scene.orders["risk"].pk,
        "policy": PolicyEvent.objects.first().pk,
    }
    out = {}
    for p in ui_patterns():
        route = str(p.pattern)
        kind = route.split("/")[0]
        pk = {
            "applications": ids["application"],
            "licences": ids["licence"],
            "shipments": ids["shipment"],
            "suppliers": ids["supplier"],
            "purchase-orders": ids["purchase_order"],
            "policy": ids["policy"],
        }.get(kind)
        if route.startswith("documents/"):
            continue  # covered with a real file in test_documents
        out[p.name] = "/" + route.replace("<int:pk>", str(pk))
    return out


@pytest.mark.django_db
def test_anonymous_visits_lead_to_the_login_form(scene, client):
    for name, url in _urls(scene).items():
        response = client.get(url)
        assert response.status_code == 302, name
        assert response["Location"].startswith("/accounts/login/?next="), name


@pytest.mark.django_db
def test_a_user_without_a_role_gets_a_polite_no_access_page(scene, outsider, client):
    client.force_login(outsider)
    for name, url in _urls(scene).items():
        response = client.get(url)
        assert response.status_code == 403, name
        assert b"has no role yet" in response.content, name


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_each_role_reads_what_it_may_and_nothing_more(scene, client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    callbacks = {p.name: p.callback for p in ui_patterns()}
    for name, url in _urls(scene).items():
        needed = NEEDS[callbacks[name].required_role]
        response = client.get(url)
        if RANK[persona] >= needed:
            assert response.status_code in (200, 302), (name, response.status_code)
        else:
            assert response.status_code == 403, (name, response.status_code)
            assert b"This needs the" in response.content


@pytest.mark.django_db
def test_a_viewer_cannot_write_anything(scene, viewer, client):
    client.force_login(viewer)
    callbacks = {p.name: p.callback for p in ui_patterns()}
    before = (LicenceApplication.objects.count(), Supplier.objects.count(), PolicyEvent.objects.count())
    for name, url in _urls(scene).items():
        if NEEDS[callbacks[name].write_role] > 1:
            assert client.post(url, {"name": "x", "to": "withdrawn", "on": "2025-12-01"}).status_code == 403, name
    assert (LicenceApplication.objects.count(), Supplier.objects.count(), PolicyEvent.objects.count()) == before
    scene.apps["due"].refresh_from_db()
    assert scene.apps["due"].status == "accepted"


@pytest.mark.django_db
def test_policy_events_are_edited_by_compliance_only(scene, procurement, compliance, client):
    event = PolicyEvent.objects.first()
    client.force_login(procurement)
    assert client.get("/policy/new/").status_code == 403
    assert client.post(f"/policy/{event.pk}/edit/", {"title": "changed"}).status_code == 403
    client.force_login(compliance)
    data = {
        "date": "2026-11-10",
        "title": "Outcome of the November 2026 expiries",
        "jurisdiction": "CN-US",
        "kind": "suspension",
        "confidence": "low",
        "elements": "Dy",
        "summary": "Recorded by staff.",
        "source_title": "",
        "source_url": "",
        "lead_days": "14, 3",
    }
    response = client.post("/policy/new/", data)
    created = PolicyEvent.objects.get(title="Outcome of the November 2026 expiries")
    assert response.status_code == 302 and response["Location"] == f"/policy/{created.pk}/"
    assert created.lead_days == [14, 3] and set(created.items.values_list("code", flat=True)) == {"DY2O3", "NDFEB-DY"}


@pytest.mark.django_db
def test_objects_that_do_not_exist_are_404_not_500(scene, admin_user, client):
    client.force_login(admin_user)
    for url in [
        "/applications/999999/",
        "/licences/999999/",
        "/shipments/999999/",
        "/suppliers/999999/",
        "/purchase-orders/999999/",
        "/policy/999999/",
        "/documents/999999/download/",
        "/licences/999999/drawdown/",
        "/applications/999999/transition/",
    ]:
        assert client.get(url).status_code == 404, url


@pytest.mark.django_db
def test_logout_is_a_post_and_password_change_works(procurement, client):
    client.force_login(procurement)
    assert client.get("/accounts/password_change/").status_code == 200
    response = client.post(
        "/accounts/password_change/",
        {"old_password": "pw", "new_password1": "Neodymium-2026!", "new_password2": "Neodymium-2026!"},
    )
    assert response.status_code == 302
    procurement.refresh_from_db()
    assert procurement.check_password("Neodymium-2026!")
    assert client.get("/accounts/logout/").status_code == 405  # never a GET that signs out
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302


@pytest.mark.django_db
def test_the_login_page_renders_and_signs_in(viewer, client):
    response = client.get("/accounts/login/?next=/applications/")
    assert response.status_code == 200 and b"Sign in" in response.content
    response = client.post("/accounts/login/", {"username": "viewer", "password": "pw", "next": "/applications/"})
    assert response.status_code == 302 and response["Location"] == "/applications/"
